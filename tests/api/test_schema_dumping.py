"""The planned dump (schemas/dumping.py) answers exactly as marshmallow's ``Schema.dump``: for
every schema of the wire, on full, empty, null and object inputs, one and many; and the API's
responses are dumped by it."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import uuid
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields

import schemas
from schemas import dumping
from schemas.referrals import ReferralPageSchema

SAMPLES: dict[type, Any] = {
    fields.UUID: uuid.UUID("6f1c1d52-8a53-4b0e-9a43-2f3c3d0b9e11"),
    fields.Integer: 7, fields.Float: 1.5, fields.Boolean: True,
    fields.AwareDateTime: datetime(2025, 3, 1, 9, 30, 15, 120, tzinfo=UTC),
    fields.NaiveDateTime: datetime(2025, 3, 1, 9, 30), fields.Date: date(2004, 3, 1),
    fields.Time: time(14, 5), fields.TimeDelta: timedelta(minutes=90),
}


def _wire_schemas() -> list[type[Schema]]:
    found = []
    for module in pkgutil.iter_modules(schemas.__path__):
        loaded = importlib.import_module(f"schemas.{module.name}")
        found.extend(cls for _name, cls in inspect.getmembers(loaded, inspect.isclass)
                     if issubclass(cls, Schema) and cls.__module__ == loaded.__name__)
    return found


def _sample(field: fields.Field, depth: int) -> Any:
    if isinstance(field, fields.Nested):
        one = _full(field.schema, depth + 1) if depth < 3 else {}
        return [one, one] if field.schema.many or field.many else one
    if isinstance(field, fields.List):
        return [_sample(field.inner, depth), _sample(field.inner, depth)]
    if isinstance(field, fields.Mapping):
        return {"a": _sample(field.value_field, depth) if field.value_field else 1}
    if isinstance(field, fields.Enum):
        return next(iter(field.enum))
    for kind in type(field).__mro__:
        if kind in SAMPLES:
            return SAMPLES[kind]
    if isinstance(field, fields.DateTime):
        return datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    return "text é"


def _full(schema: Schema, depth: int = 0) -> dict:
    return {field.attribute or name: _sample(field, depth)
            for name, field in schema.dump_fields.items()}


def _inputs(schema: Schema) -> list[Any]:
    full = _full(schema)
    return [full, {}, dict.fromkeys(full), SimpleNamespace(**full),
            {key: (str(value) if isinstance(value, enum.Enum) else value)
             for key, value in full.items()}]


def _outcome(dump, obj: Any, many: bool) -> Any:
    try:
        return dump(obj, many=many)
    except Exception as error:  # the same failure is the same answer
        return type(error)


@pytest.mark.parametrize("schema_class", _wire_schemas(), ids=lambda cls: cls.__name__)
def test_the_planned_dump_equals_marshmallows(schema_class):
    planned = dumping.compiled(schema_class())
    for obj in _inputs(schema_class()):
        for many in (False, True):
            given = [obj, obj] if many else obj
            assert (_outcome(planned.dump, given, many)
                    == _outcome(schema_class().dump, given, many)), (obj, many)


def test_a_field_it_does_not_know_is_dumped_by_marshmallow():
    class Shouting(fields.String):
        def _serialize(self, value, attr, obj, **kwargs):
            return None if value is None else str(value).upper()

    class Loud(Schema):
        word = Shouting()
        words = fields.List(Shouting())
        then = fields.DateTime(format="%Y-%m-%d")

    view = {"word": "hi", "words": ["a", "b"], "then": datetime(2025, 3, 1, tzinfo=UTC)}
    assert dumping.compiled(Loud()).dump(view) == {"word": "HI", "words": ["A", "B"],
                                                   "then": "2025-03-01"}


def test_a_schema_nesting_itself_is_planned():
    class Node(Schema):
        name = fields.String()
        children = fields.List(fields.Nested(lambda: Node()))

    tree = {"name": "root", "children": [{"name": "leaf", "children": []}]}
    assert dumping.compiled(Node()).dump(tree) == Node().dump(tree)


def test_the_api_dumps_its_responses_with_the_plan(app):
    found = _response_schemas(app)
    assert any(isinstance(schema, ReferralPageSchema) for schema in found)
    assert all("dump" in vars(schema) for schema in found)  # the plan replaces Schema.dump


def _response_schemas(app) -> list[Schema]:
    found = []
    for view in app.view_functions.values():
        cls = getattr(view, "view_class", None)
        for method in ("get", "post", "put", "patch", "delete"):
            doc = getattr(getattr(cls, method, None), "_apidoc", {}) if cls else {}
            for responses in doc.get("response", {}).get("responses", {}).values():
                found.extend(r["schema"] for r in responses if isinstance(r.get("schema"),
                                                                          Schema))
    return found
