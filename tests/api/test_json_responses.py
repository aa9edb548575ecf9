"""API response bodies are encoded by orjson (gateway/jsonbody.py) as Flask's own provider
would write them: the same JSON, keys sorted, compact, Flask's forms for dates, decimals,
UUIDs and dataclasses; only non-ASCII text is UTF-8 instead of ``\\u`` escapes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider


@dataclass
class _Point:
    x: int
    label: str


DOCUMENT = {
    "zeta": [1, 2.5, None, True], "alpha": "心理危机干预 ✓",
    "nested": {"b": 1, "a": {"d": 0, "c": 0}},
    "when": datetime(2026, 12, 3, 8, 30, tzinfo=UTC), "day": date(2026, 12, 3),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "amount": Decimal("12.50"),
    "point": _Point(3, "三"),
}


def test_a_response_is_the_json_flask_would_write(app):
    with app.test_request_context():
        ours = app.json.response(DOCUMENT)
        flask_own = DefaultJSONProvider(app).response(DOCUMENT)
    body, expected = ours.get_data(), flask_own.get_data()
    assert json.loads(body) == json.loads(expected)
    assert body.decode("utf-8") == expected.decode("unicode_escape")  # byte for byte, unescaped
    assert body.endswith(b"}\n") and ours.mimetype == "application/json"


def test_a_served_document_is_sorted_and_compact(client):
    response = client.get("/.well-known/oauth-authorization-server")
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(body)
    assert body == json.dumps(document, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8") + b"\n"
