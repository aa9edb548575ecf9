"""Security events from the HTTP layer: the refused request's own transaction is rolled back
first (on SQLite it holds the write lock), then the event commits on its own."""

from __future__ import annotations

from flask import Flask, current_app, g

from gateway.db import EXTENSION_KEY as DB_KEY
from gateway.services.actor import Actor
from gateway.services.audit import security_events

EXTENSION_KEY = "gateway.security_events"


def init_security_log(app: Flask) -> None:
    """One token bucket per process, sized from the config."""
    app.extensions[EXTENSION_KEY] = security_events.TokenBucket(
        burst=int(app.config["SECURITY_EVENTS_BURST"]),
        per_minute=float(app.config["SECURITY_EVENTS_PER_MINUTE"]))


def log_security_event(kind: str, source: str, object_type: str, object_id: object = None,
                       detail: dict | None = None) -> bool:
    """Record ``kind`` for this request's actor (anonymous before authentication)."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    actor: Actor = g.get("actor") or Actor.anonymous()
    return security_events.record(current_app.extensions[DB_KEY],
                                  current_app.extensions[EXTENSION_KEY], actor, kind, source,
                                  object_type, object_id, detail=detail)
