"""Signed JSON webhooks (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), for schools, community centres, agencies and coordinators.

The body is ``{"type": topic, "timestamp": ..., "data": payload}``; ``webhook-id`` is the
message's stable idempotency key, so a receiver applies each message once however often it
arrives. The signature is ``v1,`` + base64 HMAC-SHA256 over ``id.timestamp.body`` with the
endpoint's secret (``whsec_`` + base64). See the README for the receiver's check.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime

from standardwebhooks import Webhook

from adapters import Endpoint, HttpRequest, Outbound

FORMAT = "webhook"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``."""
    signature = Webhook(secret).sign(message_id, now, body.decode())
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature}


def encode(document: dict) -> bytes:
    """Compact UTF-8 JSON (dates as ISO 8601)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                      default=lambda value: value.isoformat()).encode()


def render(message: Outbound, endpoint: Endpoint, now: datetime) -> HttpRequest:
    """A signed webhook request for ``message``."""
    body = encode({"type": message.topic, "timestamp": message.created_at,
                   "data": message.payload})
    headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key,
               **signed_headers(endpoint.secret, message.idempotency_key, body, now)}
    return HttpRequest(endpoint.url, body, headers)
