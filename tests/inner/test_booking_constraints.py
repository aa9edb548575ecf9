"""The database itself refuses double bookings: unique seats, and (PostgreSQL) no overlapping
slots per supervisor. These bypass the services on purpose, to show the last line holds."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from gateway.db import engine_of, transaction
from gateway.models import Booking, BookingStatus, Slot
from tests.circulation import BOOKING_SCOPES, new_supervisor, one_slot


@pytest.fixture
def slot(client, make_partner, token_for) -> dict:
    university = make_partner("university", scopes=BOOKING_SCOPES)
    token = token_for(university)
    return one_slot(client, token, new_supervisor(client, token)["id"], kind="group", capacity=4)


def _booking(slot: dict, counsellor: str, seat: int) -> Booking:
    return Booking(slot_id=uuid.UUID(slot["id"]), institution_id=uuid.UUID(
        slot["host_institution_id"]), counsellor_key=counsellor, counsellor_ref=counsellor,
        status=BookingStatus.REQUESTED, seat=seat, created_by="test")


def test_a_seat_has_one_holder(app, slot, row_count):
    with transaction(app) as session:
        session.add(_booking(slot, "a", 1))
    with pytest.raises(IntegrityError), transaction(app) as session:
        session.add(_booking(slot, "b", 1))
    with pytest.raises(IntegrityError), transaction(app) as session:
        session.add(_booking(slot, "a", 2))  # the same counsellor twice in one slot
    assert row_count("bookings") == 1


def test_postgres_refuses_overlapping_slots_of_a_supervisor(app, slot, row_count):
    if engine_of(app).dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite serialises writers")
    starts = datetime.fromisoformat(slot["starts_at"]) + timedelta(minutes=30)
    with pytest.raises(IntegrityError, match="ex_slots_supervisor_time"), \
            transaction(app) as session:
        session.add(Slot(supervisor_id=uuid.UUID(slot["supervisor_id"]),
                         institution_id=uuid.UUID(slot["host_institution_id"]),
                         series_id=uuid.uuid4(), kind="group", mode="online", capacity=2,
                         starts_at=starts, ends_at=starts + timedelta(hours=1),
                         time_zone="Asia/Shanghai", cancel_cutoff_minutes=0))
    assert row_count("slots") == 1
