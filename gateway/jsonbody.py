"""JSON in and out of the API.

In: untrusted bodies nested too deep for the parser are malformed JSON (a 400), not a crash.
Python's ``json`` raises ``RecursionError`` on deeply nested input (``[[[[...``), which no
JSON error handler expects. Both readers of request bodies go through here: Flask's
``request.get_json`` (the FHIR endpoint) via :class:`JSONProvider`, and webargs (every
``@blp.arguments`` body) via :class:`ArgumentsParser`.

Out: response bodies are encoded by orjson (:meth:`JSONProvider.response`), a few times faster
than ``json`` on an inbox page, with Flask's own choices kept: keys sorted, compact, and
dates, decimals and dataclasses through Flask's ``default``. The bytes are UTF-8 rather than
``\\u`` escapes, the same JSON to any parser.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

TOO_DEEP = "JSON nested too deeply"
_RESPONSE_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
                     | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
"""Sorted keys and a final newline as Flask writes them; dates and dataclasses left to Flask's
``default`` (an RFC 822 date, ``asdict``), not orjson's own forms."""


def _too_deep(document: str | bytes) -> json.JSONDecodeError:
    text = document if isinstance(document, str) else document.decode("utf-8", "replace")
    return json.JSONDecodeError(TOO_DEEP, text[:64], 0)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too-deep input raised as a decode error and responses encoded by
    orjson."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep(s) from None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Flask's JSON response, encoded by orjson; indented, by Flask, in debug mode."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        body = orjson.dumps(self._prepare_response_obj(args, kwargs), default=self.default,
                            option=_RESPONSE_OPTIONS)
        return self._app.response_class(body, mimetype=self.mimetype)


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, with too-deep JSON bodies handled as invalid JSON (400), and a
    body sent with a media type other than JSON refused as such (415), not read as absent."""

    def _raw_load_json(self, req) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise UnsupportedMediaType("Send the body as application/json.")
            return core.missing
        data = req.get_data(cache=True)
        try:
            return core.parse_json(data)
        except RecursionError:
            raise _too_deep(data) from None
