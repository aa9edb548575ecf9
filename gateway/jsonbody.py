"""Untrusted JSON bodies: nesting too deep for the parser is malformed JSON (a 400), not a crash.

Python's ``json`` raises ``RecursionError`` on deeply nested input (``[[[[...``), which no
JSON error handler expects. Both readers of request bodies go through here: Flask's
``request.get_json`` (the FHIR endpoint) via :class:`JSONProvider`, and webargs (every
``@blp.arguments`` body) via :class:`ArgumentsParser`.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

TOO_DEEP = "JSON nested too deeply"


def _too_deep(document: str | bytes) -> json.JSONDecodeError:
    text = document if isinstance(document, str) else document.decode("utf-8", "replace")
    return json.JSONDecodeError(TOO_DEEP, text[:64], 0)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too-deep input raised as a decode error."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep(s) from None


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
