"""Slots: publish one-off or recurring availability (RFC 5545 RRULE), list it, cancel it."""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Booking, BookingStatus, Slot, SlotKind, SlotMode, utcnow
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from gateway.services.inner import supervisors

MAX_OCCURRENCES = 60
HORIZON = timedelta(days=366)
RECURRING_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY"}
RULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"}
BYDAY = re.compile(r"([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)")
MAX_LISTED = 500
OPEN_BOOKINGS = (BookingStatus.WAITLISTED, BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class Availability:
    """What a supervisor offers: a local start, a length, and optionally a recurrence rule."""

    kind: SlotKind
    mode: SlotMode
    capacity: int
    local_start: datetime
    duration_minutes: int
    cancel_cutoff_hours: int = 24
    rrule: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Offered:
    """A slot with the number of its seats already held."""

    slot: Slot
    seats_taken: int

    def __getattr__(self, name: str) -> object:
        return getattr(self.slot, name)


def _rule_parts(rule: str) -> dict[str, str]:
    """Check a rule against the subset supervision schedules need (every rule it allows has
    occurrences often enough that expanding it is cheap)."""
    try:
        parts = dict(part.split("=", 1) for part in rule.removeprefix("RRULE:").split(";"))
    except ValueError as exc:
        raise InvalidInput("rrule must be an RFC 5545 RRULE value.") from exc
    if not parts.keys() <= RULE_PARTS:
        raise InvalidInput(f"rrule may use {', '.join(sorted(RULE_PARTS))} only.")
    if parts.get("FREQ") not in RECURRING_FREQUENCIES:
        raise InvalidInput("rrule FREQ must be DAILY, WEEKLY or MONTHLY.")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise InvalidInput("rrule must end: give COUNT or UNTIL.")
    if not re.fullmatch(r"[1-9]|[1-4]\d|5[0-2]", parts.get("INTERVAL", "1")):
        raise InvalidInput("rrule INTERVAL must be 1 to 52.")
    if "BYDAY" in parts and not all(BYDAY.fullmatch(day) for day in parts["BYDAY"].split(",")):
        raise InvalidInput("rrule BYDAY takes weekdays, optionally numbered -5 to 5 (e.g. 2TU).")
    return parts


def occurrences(start: datetime, rule: str | None) -> list[datetime]:
    """Starts (aware, in the start's zone) of a one-off or recurring availability, bounded."""
    if rule is None:
        return [start]
    _rule_parts(rule)
    try:
        expanded = list(itertools.islice(rrulestr(rule, dtstart=start), MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidInput("rrule could not be read as an RFC 5545 recurrence rule.") from exc
    if not expanded:
        raise InvalidInput("rrule yields no occurrence.")
    if len(expanded) > MAX_OCCURRENCES:
        raise InvalidInput(f"rrule yields more than {MAX_OCCURRENCES} occurrences.")
    return expanded


def _overlaps(session: Session, supervisor_id: uuid.UUID, start: datetime, end: datetime) -> bool:
    return session.scalar(select(func.count()).select_from(Slot).where(
        Slot.supervisor_id == supervisor_id, Slot.cancelled_at.is_(None),
        Slot.starts_at < end, Slot.ends_at > start)) > 0


def _check(offer: Availability) -> None:
    if offer.kind is SlotKind.INDIVIDUAL and offer.capacity != 1:
        raise InvalidInput("Individual supervision has exactly one seat.")
    if offer.kind is not SlotKind.INDIVIDUAL and offer.capacity < 2:
        raise InvalidInput("Group supervision and case conferences have two seats or more.")
    if offer.mode is SlotMode.ON_SITE and not offer.address:
        raise InvalidInput("An on-site slot needs an address.")
    if offer.mode is SlotMode.ONLINE and offer.address:
        raise InvalidInput("An online slot has no address.")


def publish(session: Session, actor: Actor, supervisor_id: uuid.UUID,
            offer: Availability) -> list[Slot]:
    """Create the slots of an availability; refused if any overlaps an open slot.

    The check runs inside the serialised (SQLite) or constrained (PostgreSQL exclusion
    constraint) transaction, so two concurrent publications cannot both succeed.
    """
    supervisor = supervisors.get_visible(session, actor, supervisor_id)
    if supervisor.institution_id != actor.institution_id:
        raise Forbidden("Only the supervisor's institution publishes availability.")
    _check(offer)
    zone = ZoneInfo(supervisor.time_zone)
    starts = occurrences(offer.local_start.replace(tzinfo=zone), offer.rrule)
    now, length = utcnow(), timedelta(minutes=offer.duration_minutes)
    if starts[0] <= now or starts[-1] - now > HORIZON:
        raise InvalidInput("Slots must lie in the future and within a year.")
    series, slots = uuid.uuid4(), []
    for start in starts:
        begin = start.astimezone(UTC)
        if _overlaps(session, supervisor.id, begin, begin + length) or any(
                s.starts_at < begin + length and s.ends_at > begin for s in slots):
            raise Conflict("The supervisor already has a slot at that time.",
                           starts_at=begin.isoformat())
        slots.append(Slot(supervisor_id=supervisor.id, institution_id=supervisor.institution_id,
                          series_id=series, rrule=offer.rrule, kind=offer.kind, mode=offer.mode,
                          address=offer.address, capacity=offer.capacity, starts_at=begin,
                          ends_at=begin + length, time_zone=supervisor.time_zone,
                          cancel_cutoff_minutes=offer.cancel_cutoff_hours * 60))
    try:
        with session.begin_nested():
            session.add_all(slots)
    except IntegrityError as exc:  # the exclusion constraint caught a concurrent publication
        raise Conflict("The supervisor already has a slot at that time.") from exc
    journal.record(session, actor, "slots.published", "supervisor", supervisor.id,
                   detail={"series_id": str(series), "count": len(slots), "kind": offer.kind.value})
    return slots


def get_visible(session: Session, actor: Actor, slot_id: uuid.UUID,
                *, for_update: bool = False) -> Slot:
    """A slot of a supervisor the actor may see; ``for_update`` locks its row (PostgreSQL)."""
    query = select(Slot).where(Slot.id == slot_id)
    slot = session.scalar(query.with_for_update() if for_update else query)
    if slot is None or not supervisors.may_see(session, supervisors.own_institution(actor),
                                               slot.institution_id):
        raise NotFound("No slot with that id.")
    return slot


def seats_taken(session: Session, slot_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many seats are held in each slot."""
    rows = session.execute(select(Booking.slot_id, func.count()).where(
        Booking.slot_id.in_(slot_ids), Booking.seat.is_not(None)).group_by(Booking.slot_id))
    return {slot_id: count for slot_id, count in rows}


def list_for(session: Session, actor: Actor, supervisor_id: uuid.UUID,
             start: datetime | None = None, end: datetime | None = None) -> list[Offered]:
    """Open slots of a visible supervisor, by start, within ``[start, end)`` if given."""
    supervisors.get_visible(session, actor, supervisor_id)
    query = select(Slot).where(Slot.supervisor_id == supervisor_id, Slot.cancelled_at.is_(None))
    if start is not None:
        query = query.where(Slot.starts_at >= start)
    if end is not None:
        query = query.where(Slot.starts_at < end)
    slots = list(session.scalars(query.order_by(Slot.starts_at).limit(MAX_LISTED)))
    taken = seats_taken(session, [slot.id for slot in slots])
    return [Offered(slot, taken.get(slot.id, 0)) for slot in slots]


def offered(session: Session, actor: Actor, slot_id: uuid.UUID) -> Offered:
    """A visible slot with its seats taken."""
    slot = get_visible(session, actor, slot_id)
    return Offered(slot, seats_taken(session, [slot.id]).get(slot.id, 0))


def cancel(session: Session, actor: Actor, slot_id: uuid.UUID) -> Offered:
    """The supervisor's institution withdraws a slot; its bookings are cancelled and told."""
    slot = get_visible(session, actor, slot_id, for_update=True)
    if slot.institution_id != actor.institution_id:
        raise Forbidden("Only the supervisor's institution withdraws a slot.")
    if slot.cancelled_at is not None or slot.starts_at <= utcnow():
        raise Conflict("Only an open slot that has not begun can be withdrawn.")
    slot.cancelled_at = utcnow()
    affected = session.scalars(select(Booking).where(
        Booking.slot_id == slot.id, Booking.status.in_(OPEN_BOOKINGS))).all()
    for booking in affected:
        booking.status, booking.seat = BookingStatus.CANCELLED, None
        outbox.enqueue(session, "slot.cancelled", {"booking_id": str(booking.id),
                                                   "slot_id": str(slot.id)},
                       institution_id=booking.institution_id)
    session.flush()
    journal.record(session, actor, "slot.cancelled", "slot", slot.id,
                   detail={"bookings_cancelled": len(affected)})
    return Offered(slot, 0)
