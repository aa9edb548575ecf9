"""A schema's dump, planned once: the same output as ``Schema.dump``, at a fraction of its cost.

marshmallow looks up, for every field of every object it dumps, the field's accessor, its
default and its formatting, through several calls each. :func:`compiled` reads a schema's
fields once and binds, per field, the key to read, the key to write and one converter that
does what the field's ``_serialize`` does. Only field behaviour known to be equal is planned
(recognised by the ``_serialize`` the field really runs, so a subclass that overrides it is
not mistaken for its parent); any other field is dumped by marshmallow itself, and a schema
with dump hooks or its own ``get_attribute`` keeps its own ``dump``. The schemas stay the one
description of the wire format and of the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing, utils
from marshmallow.decorators import POST_DUMP, PRE_DUMP

Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return utils.ensure_text_type(value)


def _string_of(value: Any) -> Any:
    return None if value is None else str(value)


def _number(field: fields.Number) -> Converter:
    to_number, to_string, as_string = field._format_num, field._to_string, field.as_string

    def convert(value: Any) -> Any:
        if value is None:
            return None
        number = to_number(value)
        return to_string(number) if as_string else number
    return convert


def _temporal(field: fields.DateTime) -> Converter:
    data_format = field.format or field.DEFAULT_FORMAT
    format_func = field.SERIALIZATION_FUNCS.get(data_format)

    def convert(value: Any) -> Any:
        if value is None:
            return None
        return format_func(value) if format_func else value.strftime(data_format)
    return convert


def _enum(field: fields.Enum) -> Converter | None:
    inner = _converter(field.field)
    if inner is None:
        return None
    if field.by_value:
        return lambda value: None if value is None else inner(value.value)
    return lambda value: None if value is None else inner(value.name)


def _nested(field: fields.Nested) -> Converter:
    planned: list[tuple[Callable[[Any, bool], Any], bool]] = []  # at first use: a schema
    # may nest itself

    def convert(value: Any) -> Any:
        if not planned:
            schema = field.schema
            planned.append((compiled_dump(schema), bool(schema.many or field.many)))
        if value is None:
            return None
        dump, many = planned[0]
        return dump(value, many)
    return convert


def _list(field: fields.List) -> Converter | None:
    inner = _converter(field.inner)
    if inner is None:
        return None
    return lambda value: None if value is None else [inner(each) for each in value]


def _mapping(field: fields.Mapping) -> Converter | None:
    mapping_type = field.mapping_type
    if field.key_field is None and field.value_field is None:
        return lambda value: None if value is None else mapping_type(value)
    key = _converter(field.key_field) if field.key_field is not None else _identity
    item = _converter(field.value_field) if field.value_field is not None else None
    if key is None or (field.value_field is not None and item is None):
        return None

    def convert(value: Any) -> Any:
        if value is None:
            return None
        keys = {k: key(k) for k in value}
        result = mapping_type()
        for k, v in value.items():
            if item is not None:
                result[keys[k]] = item(v)
            elif k in keys:
                result[keys[k]] = v
        return result
    return convert


# what a field's own _serialize does, keyed by that function (not the class: a subclass that
# overrides _serialize is not planned as its parent)
_CONVERTERS: dict[Callable, Callable[[Any], Converter | None]] = {
    fields.Field._serialize: lambda _field: _identity,
    fields.String._serialize: lambda _field: _text,
    fields.UUID._serialize: lambda _field: _string_of,
    fields.Number._serialize: _number,
    fields._TemporalField._serialize: _temporal,
    fields.Enum._serialize: _enum,
    fields.Nested._serialize: _nested,
    fields.List._serialize: _list,
    fields.Mapping._serialize: _mapping,
}


def _converter(field: fields.Field) -> Converter | None:
    """A function equal to ``field._serialize(value, ...)``, or None if not known to be."""
    build = _CONVERTERS.get(type(field)._serialize)
    return build(field) if build is not None else None


def _plain_access(field: fields.Field, key: str) -> bool:
    """Whether marshmallow reads the field's value with the default accessor, untouched."""
    return (field._CHECK_ATTRIBUTE and "." not in key
            and type(field).serialize is fields.Field.serialize
            and type(field).get_value is fields.Field.get_value)


Step = tuple[str, str, Converter | None, Any]
"""One field: (key to read, key to write, converter, dump_default); a field marshmallow dumps
itself has no converter, (name, key to write, None, the field)."""


def _step(name: str, field: fields.Field) -> Step:
    out_key = field.data_key if field.data_key is not None else name
    key = field.attribute if field.attribute is not None else name
    convert = _converter(field) if _plain_access(field, key) else None
    if convert is None:
        return name, out_key, None, field
    return key, out_key, convert, field.dump_default


def _plannable(schema: Schema) -> bool:
    kind = type(schema)
    return (not schema._hooks[PRE_DUMP] and not schema._hooks[POST_DUMP]
            and kind.get_attribute is Schema.get_attribute
            and kind._serialize is Schema._serialize and kind.dump is Schema.dump)


def compiled_dump(schema: Schema) -> Callable[[Any, bool], Any]:
    """``schema.dump(obj, many=many)`` as a plain function of ``(obj, many)``."""
    if not _plannable(schema):
        own_dump = schema.dump
        return lambda obj, many: own_dump(obj, many=many)
    steps = tuple(_step(name, field) for name, field in schema.dump_fields.items())
    dict_class, accessor = schema.dict_class, schema.get_attribute

    def dump_one(obj: Any) -> dict:
        out = dict_class()
        from_dict = type(obj) is dict
        for key, out_key, convert, default in steps:
            if convert is None:  # marshmallow's own: default holds the field
                value = default.serialize(key, obj, accessor=accessor)
                if value is not missing:
                    out[out_key] = value
                continue
            value = obj.get(key, missing) if from_dict else missing
            if value is missing:  # marshmallow's accessor: a key, else an attribute
                value = (getattr(obj, key, missing) if from_dict
                         else utils.get_value(obj, key, missing))
                if value is missing:
                    if default is missing:
                        continue
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
            # every converter, like marshmallow's fields, turns None into None
            out[out_key] = None if value is None else convert(value)
        return out

    def dump(obj: Any, many: bool) -> Any:
        if many and obj is not None:
            return [dump_one(each) for each in obj]
        return dump_one(obj)
    return dump


def compiled(schema: Schema) -> Schema:
    """``schema`` with its ``dump`` replaced by the planned one (same arguments, same output)."""
    dump = compiled_dump(schema)
    default_many = schema.many

    def planned_dump(obj: Any, *, many: bool | None = None) -> Any:
        return dump(obj, default_many if many is None else bool(many))
    schema.dump = planned_dump  # type: ignore[method-assign]
    return schema
