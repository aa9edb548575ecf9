"""Helpers for the inner-circulation tests: supervisors, slots and bookings over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from gateway.db import transaction
from gateway.models import Slot
from tests.support import bearer

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKING_SCOPES = ["bookings:read", "bookings:write", "consents:read", "consents:write"]


def local_start(days: float = 10, hour: int = 14) -> str:
    """A wall-clock time in Shanghai ``days`` from now, at ``hour``:00."""
    moment = datetime.now(SHANGHAI) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None).isoformat()


def new_supervisor(client, token: str, **overrides) -> dict:
    """Register a supervisor over HTTP and return it."""
    body = {"display_name": "王老师", "qualification": "qualified_counsellor",
            "credential": "国家二级心理咨询师", "time_zone": "Asia/Shanghai", **overrides}
    response = client.post("/api/v1/supervisors", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def publish(client, token: str, supervisor_id: str, **overrides):
    """Publish availability over HTTP; returns the response."""
    body = {"kind": "individual", "mode": "online", "capacity": 1, "local_start": local_start(),
            "duration_minutes": 60, **overrides}
    return client.post(f"/api/v1/supervisors/{supervisor_id}/availability", json=body,
                       headers=bearer(token))


def one_slot(client, token: str, supervisor_id: str, **overrides) -> dict:
    """Publish a single slot and return it."""
    response = publish(client, token, supervisor_id, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()[0]


def book(client, token: str, slot_id: str, counsellor: str = "staff-1", **extra):
    """Ask for a seat over HTTP; returns the response."""
    return client.post("/api/v1/bookings", json={"slot_id": slot_id, "counsellor_ref": counsellor,
                                                 **extra}, headers=bearer(token))


def move_slot(app, slot_id: str, starts_at: datetime) -> None:
    """Put a slot at another time, as if the clock had moved on."""
    with transaction(app) as session:
        slot = session.get(Slot, uuid.UUID(slot_id))
        length = slot.ends_at - slot.starts_at
        session.execute(update(Slot).where(Slot.id == slot.id)
                        .values(starts_at=starts_at, ends_at=starts_at + length))
