"""The OpenAPI document: errors as RFC 9457 problems, the statuses each operation can answer,
and wire types exactly as the input schemas accept them.

flask-smorest writes the document from the views' decorators; this module corrects what it
would say by default (``application/json`` errors, a catch-all ``default`` response, every
member of an enum a validator narrows, ``date-time`` for a naive local time).
"""

from __future__ import annotations

import enum
import http

from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import fields, validate

from gateway.problems import PROBLEM_JSON
from schemas.problems import ProblemSchema

#: ``2026-12-01T14:00`` or ``2026-12-01T14:00:30``: a wall-clock time with no offset.
NAIVE_DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
WRITES = ("post", "put", "patch", "delete")

_HEADER = {"schema": {"type": "string"}}
HEADERS = {
    401: {"WWW-Authenticate": {**_HEADER, "required": True,
                               "description": "The Bearer (or DPoP) challenge, RFC 6750 §3."}},
    403: {"WWW-Authenticate": {**_HEADER,
                               "description": "error=\"insufficient_scope\" on a scope refusal."}},
    405: {"Allow": {**_HEADER, "required": True}},
    429: {"Retry-After": {**_HEADER, "required": True, "description": "Seconds to wait."},
          "RateLimit": {**_HEADER, "description": "IETF draft RateLimit header fields."},
          "RateLimit-Policy": _HEADER},
    503: {"Retry-After": {**_HEADER, "required": True, "description": "Seconds to wait."}},
}


class GatewayApi(Api):
    """flask-smorest's Api with every error response documented as problem+json and no
    catch-all ``default`` response (each status an operation can answer is listed)."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                if status in HEADERS:
                    response["headers"] = HEADERS[status]
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


def _status_name(status: int) -> str:
    return http.HTTPStatus(status).name


def statuses_of(path: str, method: str, operation: dict) -> set[int]:
    """The error statuses a gateway API operation can answer, from how it is declared."""
    found = {503}  # the database may be unreachable on any request; nothing is written then
    if operation.get("security"):
        found |= {401, 403, 429}  # no or bad token; wrong scope or role; the client's limit
    if "{" in path or "requestBody" in operation or path.startswith("/audit/"):
        found.add(404)  # an id in the path or the body that this caller may not see
    if "requestBody" in operation:
        found |= {400, 413, 415, 422}  # malformed, too large, not JSON, refused fields
    if any(p.get("in") == "query" for p in operation.get("parameters", [])
           if isinstance(p, dict)):
        found.add(422)
    if method in WRITES:
        found.add(409)  # the object's state does not allow the change
    return found


class ProblemsPlugin(BasePlugin):
    """apispec plugin: each API operation lists its problem responses."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **_kwargs: object) -> None:
        if not path or not (path.startswith("/api/") or path.startswith("/audit/")):
            return
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in statuses_of(path, method, operation):
                responses.setdefault(str(status), _status_name(status))


def _wire(choice: object) -> object:
    return choice.value if isinstance(choice, enum.Enum) else choice


def accepted_choices(_converter, field: fields.Field, ret: dict, **_kwargs: object) -> dict:
    """An enum narrowed by a ``OneOf`` validator lists only what the validator accepts."""
    narrowed = [v for v in field.validators if isinstance(v, validate.OneOf)]
    if not narrowed or "enum" not in ret:
        return {}
    accepted = set.intersection(*({_wire(c) for c in v.choices} for v in narrowed))
    return {"enum": [value for value in ret["enum"] if value in accepted]}


def naive_date_time(_converter, field: fields.Field, ret: dict, **_kwargs: object) -> dict:
    """A ``NaiveDateTime`` is a local wall-clock time: no ``date-time`` (which needs an
    offset), a pattern without one instead."""
    if not isinstance(field, fields.NaiveDateTime):
        return {}
    ret.pop("format", None)
    return {"pattern": NAIVE_DATE_TIME}


def init_api(app) -> GatewayApi:
    """The app's smorest Api, its document corrected as described above."""
    api = GatewayApi(app, spec_kwargs={"extra_plugins": [ProblemsPlugin()]})
    converter = api.ma_plugin.converter
    converter.add_attribute_function(accepted_choices)
    converter.add_attribute_function(naive_date_time)
    return api
