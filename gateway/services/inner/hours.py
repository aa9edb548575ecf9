"""Hours reports: supervision received per counsellor, training attended per person."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    Booking,
    BookingStatus,
    EventRegistration,
    RegistrationStatus,
    Slot,
    TrainingEvent,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidInput
from gateway.services.inner import supervisors

MAX_PERIOD = timedelta(days=3 * 366)


@dataclass(frozen=True)
class PersonHours:
    """Hours of one person (by the institution's own reference) in the period."""

    ref: str
    hours: float
    sessions: int
    role: str | None = None


@dataclass(frozen=True)
class Report:
    """Hours of an institution's people in ``[start, end)``."""

    institution_id: uuid.UUID | None
    start: datetime
    end: datetime
    total_hours: float
    people: list[PersonHours]


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start or end - start > MAX_PERIOD:
        raise InvalidInput("The period must end after it starts and last at most three years.")


def _report(actor: Actor, start: datetime, end: datetime,
            rows: list[tuple[str, timedelta, str | None]]) -> Report:
    hours: dict[str, timedelta] = defaultdict(timedelta)
    sessions: dict[str, int] = defaultdict(int)
    roles: dict[str, str | None] = {}
    for ref, length, role in rows:
        hours[ref] += length
        sessions[ref] += 1
        roles[ref] = role
    people = [PersonHours(ref, round(hours[ref].total_seconds() / 3600, 2), sessions[ref],
                          roles[ref]) for ref in sorted(hours)]
    total = round(sum(hours.values(), timedelta()).total_seconds() / 3600, 2)
    return Report(actor.institution_id, start, end, total, people)


def supervision(session: Session, actor: Actor, start: datetime, end: datetime) -> Report:
    """Supervision hours attended by the actor's counsellors in slots starting in the period."""
    _check_period(start, end)
    rows = session.execute(
        select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id).where(
            Booking.institution_id == supervisors.own_institution(actor),
            Booking.status == BookingStatus.ATTENDED,
            Slot.starts_at >= start, Slot.starts_at < end)).all()
    report = _report(actor, start, end,
                     [(row.Booking.counsellor_ref, row.Slot.duration, None) for row in rows])
    journal.record(session, actor, "supervision_hours.reported", "institution",
                   actor.institution_id, detail={"start": start.isoformat(),
                                                 "end": end.isoformat()})
    return report


def training(session: Session, actor: Actor, start: datetime, end: datetime) -> Report:
    """Training hours attended by the actor's people at events starting in the period."""
    _check_period(start, end)
    rows = session.execute(
        select(EventRegistration, TrainingEvent)
        .join(TrainingEvent, TrainingEvent.resource_id == EventRegistration.event_id).where(
            EventRegistration.institution_id == supervisors.own_institution(actor),
            EventRegistration.status == RegistrationStatus.ATTENDED,
            TrainingEvent.starts_at >= start, TrainingEvent.starts_at < end)).all()
    report = _report(actor, start, end, [
        (row.EventRegistration.participant_ref, row.TrainingEvent.duration,
         row.EventRegistration.role.value) for row in rows])
    journal.record(session, actor, "training_hours.reported", "institution",
                   actor.institution_id, detail={"start": start.isoformat(),
                                                 "end": end.isoformat()})
    return report
