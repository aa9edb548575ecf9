"""Bookings: book or join the waitlist, cancel before the cut-off, confirm, decline, attend.

Capacity is enforced by the database: the slot row is locked for the booking transaction
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions are serialised by BEGIN IMMEDIATE)
and seat numbers are unique per slot, so two bookings can never hold the same seat.

Every booking a caller gets back is a view built here, with its case material as the consent
engine allows it at that moment (``services.case_material``); each such return is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Booking, BookingStatus, Purpose, Slot, utcnow
from gateway.services import cursors, outbox
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import (
    Conflict,
    CutOffPassed,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SlotFull,
)
from gateway.services.inner import case_material, slots, supervisors
from gateway.services.network import campuses
from gateway.services.privacy import consent
from gateway.services.privacy.policy import Policy
from keys.pseudonym import PseudonymKey

SEAT_HOLDING = {BookingStatus.REQUESTED, BookingStatus.CONFIRMED}
REMINDER_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class CaseMaterial:
    """Case material for a case conference; ``subject_ref`` identifies the student locally."""

    summary: str
    subject_ref: str | None = None


@dataclass(frozen=True)
class BookingRequest:
    """A counsellor asks for a seat."""

    slot_id: uuid.UUID
    counsellor_ref: str
    join_waitlist: bool = False
    case: CaseMaterial | None = None
    campus_id: uuid.UUID | None = None  # the booker's campus


def _view(session: Session, actor: Actor, booking: Booking,
          policy: Policy) -> tuple[dict, consent.Decision | None]:
    """The booking as the actor may see it now, and the case-material decision behind it."""
    return _views(session, actor, [booking], policy)[0]


def _views(session: Session, actor: Actor, bookings: list[Booking],
           policy: Policy) -> list[tuple[dict, consent.Decision | None]]:
    """:func:`_view` of each booking, their case material decided together."""
    decisions = case_material.decide_many(session, actor, bookings, policy=policy)
    views = []
    for booking, decision in zip(bookings, decisions, strict=True):
        view = {name: getattr(booking, name) for name in (
            "id", "slot_id", "institution_id", "counsellor_ref", "status", "seat",
            "decline_reason", "created_at", "updated_at")}
        view["case"] = case_material.view(booking, decision)
        views.append((view, decision))
    return views


def _audit(session: Session, actor: Actor, action: str, booking: Booking,
           decision: consent.Decision | None, **detail: object) -> None:
    """Audit an access or change; when case material was decided on, under which consents."""
    detail["case_identified"] = bool(decision and decision.allowed)
    if decision is not None:
        detail.update(decision.audit_detail)
    journal.record(session, actor, action, "booking", booking.id,
                   purpose=Purpose.CASE_CONFERENCE.value if decision else None,
                   consent_id=decision.consent_id if decision else None, detail=detail)


def _free_seat(session: Session, slot: Slot) -> int | None:
    held = set(session.scalars(select(Booking.seat).where(Booking.slot_id == slot.id,
                                                          Booking.seat.is_not(None))))
    return next((seat for seat in range(1, slot.capacity + 1) if seat not in held), None)


def book(session: Session, actor: Actor, pseudonyms: PseudonymKey, request: BookingRequest, *,
         policy: Policy) -> dict:
    """Take the lowest free seat, or a waitlist place if asked; else :class:`SlotFull`."""
    # visible: the booker's own slot, or a partner's under a partnership covering supervision
    slot = slots.get_visible(session, actor, request.slot_id, for_update=True)
    booker = actor.institution_id
    if slot.cancelled_at is not None or slot.starts_at <= utcnow():
        raise Conflict("The slot is no longer open for booking.")
    campuses.require_own(session, booker, request.campus_id)
    counsellor_key = pseudonyms.derive("counsellor", str(booker), request.counsellor_ref)
    seat = _free_seat(session, slot)
    if seat is None and not request.join_waitlist:
        raise SlotFull("Every seat of this slot is taken; ask to join the waitlist.",
                       capacity=slot.capacity)
    booking = Booking(slot_id=slot.id, institution_id=booker, campus_id=request.campus_id,
                      counsellor_key=counsellor_key,
                      counsellor_ref=request.counsellor_ref, seat=seat,
                      status=BookingStatus.REQUESTED if seat else BookingStatus.WAITLISTED,
                      created_by=actor.client_id)
    if request.case is not None:
        case_material.attach(session, actor, pseudonyms, booking, slot, request.case.summary,
                             request.case.subject_ref, policy=policy)
    try:
        with session.begin_nested():
            session.add(booking)
    except IntegrityError as exc:  # a seat or counsellor already taken by a concurrent booking
        raise Conflict("This counsellor already holds a booking for this slot, or the seat "
                       "was just taken.") from exc
    view, decision = _view(session, actor, booking, policy)
    _audit(session, actor, f"booking.{booking.status.value}", booking, decision,
           slot_id=str(slot.id))
    outbox.send(session, "booking.requested",
                {"booking_id": str(booking.id), "slot_id": str(slot.id),
                 "status": booking.status.value}, institution_id=slot.institution_id)
    return view


def get_visible(session: Session, actor: Actor, booking_id: uuid.UUID,
                *, for_update: bool = False) -> tuple[Booking, Slot]:
    """A booking made by, or hosted by, the actor's institution; any other is 'not found'."""
    query = select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id).where(
        Booking.id == booking_id)
    row = session.execute(query.with_for_update() if for_update else query).first()
    if row is None or actor.institution_id not in (row.Booking.institution_id,
                                                   row.Slot.institution_id):
        raise NotFound("No booking with that id.")
    return row.Booking, row.Slot


def list_page(session: Session, actor: Actor, *, role: str = "booker",
              status: BookingStatus | None = None, cursor: str | None = None,
              limit: int = 20, policy: Policy) -> cursors.Page:
    """Bookings made by the actor's institution (``booker``) or of its slots (``host``).

    The audit entry names the consents under which case material was shown identified.
    """
    owner = Booking.institution_id if role == "booker" else Slot.institution_id
    query = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
             .where(owner == supervisors.own_institution(actor)))
    if status is not None:
        query = query.where(Booking.status == status)
    page = cursors.page(session, query, Booking.created_at, Booking.id, cursor, limit)
    views = _views(session, actor, page.items, policy)
    consent_ids = sorted({str(c) for _, decision in views if decision and decision.allowed
                          for c in decision.consent_ids})
    journal.record(session, actor, "booking.listed", "booking", None,
                   purpose=Purpose.CASE_CONFERENCE.value if consent_ids else None,
                   detail={"role": role, "ids": [str(item.id) for item in page.items],
                           "consent_ids": consent_ids})
    return cursors.Page([view for view, _decision in views], page.next_cursor)


def read(session: Session, actor: Actor, booking_id: uuid.UUID, *,
         policy: Policy) -> dict:
    """Read a booking, its case material as consent allows now; the access is audited."""
    booking, _slot = get_visible(session, actor, booking_id)
    view, decision = _view(session, actor, booking, policy)
    _audit(session, actor, "booking.read", booking, decision)
    return view


def _promote_waitlist(session: Session, actor: Actor, slot: Slot) -> Booking | None:
    """Give a freed seat to the longest-waiting booking of the slot."""
    seat = _free_seat(session, slot)
    waiting = session.scalar(select(Booking).where(
        Booking.slot_id == slot.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.created_at, Booking.id).limit(1))
    if seat is None or waiting is None:
        return None
    waiting.seat, waiting.status = seat, BookingStatus.REQUESTED
    session.flush()
    journal.record(session, actor, "booking.promoted", "booking", waiting.id,
                   detail={"slot_id": str(slot.id)})
    outbox.enqueue(session, "booking.promoted", {"booking_id": str(waiting.id),
                                                 "slot_id": str(slot.id)},
                   institution_id=waiting.institution_id)
    return waiting


def _release(session: Session, booking: Booking, status: BookingStatus) -> None:
    booking.status, booking.seat = status, None
    session.flush()  # free the seat number before it is given to someone else


def cancel(session: Session, actor: Actor, booking_id: uuid.UUID, *,
           policy: Policy) -> dict:
    """The booking institution cancels; seats cannot be given back after the cut-off."""
    booking, slot = get_visible(session, actor, booking_id, for_update=True)
    if actor.institution_id != booking.institution_id:
        raise Forbidden("Only the booking institution may cancel this booking.")
    if booking.status not in SEAT_HOLDING | {BookingStatus.WAITLISTED}:
        raise InvalidTransition(f"A '{booking.status.value}' booking cannot be cancelled.",
                                current_status=booking.status.value)
    cut_off = slot.starts_at - timedelta(minutes=slot.cancel_cutoff_minutes)
    if booking.status in SEAT_HOLDING and utcnow() >= cut_off:
        raise CutOffPassed("The cancellation cut-off for this slot has passed.",
                           cut_off=cut_off.isoformat())
    held_seat = booking.status in SEAT_HOLDING
    _release(session, booking, BookingStatus.CANCELLED)
    view, decision = _view(session, actor, booking, policy)
    _audit(session, actor, "booking.cancelled", booking, decision, slot_id=str(slot.id))
    outbox.enqueue(session, "booking.cancelled", {"booking_id": str(booking.id),
                                                  "slot_id": str(slot.id)},
                   institution_id=slot.institution_id)
    if held_seat:
        _promote_waitlist(session, actor, slot)
    return view


def decide(session: Session, actor: Actor, booking_id: uuid.UUID, status: BookingStatus,
           reason_code: str | None = None, *, policy: Policy) -> dict:
    """The supervisor's institution confirms or declines a requested booking."""
    booking, slot = get_visible(session, actor, booking_id, for_update=True)
    if actor.institution_id != slot.institution_id:
        raise Forbidden("Only the supervisor's institution confirms or declines.")
    if booking.status is not BookingStatus.REQUESTED:
        raise InvalidTransition(f"A '{booking.status.value}' booking cannot be decided.",
                                current_status=booking.status.value)
    if status is BookingStatus.DECLINED:
        if not reason_code:
            raise InvalidInput("Declining needs a reason_code.")
        booking.decline_reason = reason_code
        _release(session, booking, BookingStatus.DECLINED)
    else:
        booking.status = BookingStatus.CONFIRMED
        session.flush()
    view, decision = _view(session, actor, booking, policy)
    _audit(session, actor, f"booking.{status.value}", booking, decision, slot_id=str(slot.id))
    payload = {"booking_id": str(booking.id), "slot_id": str(slot.id),
               "starts_at": slot.starts_at.isoformat(), "status": booking.status.value}
    outbox.enqueue(session, f"booking.{status.value}", payload,
                   institution_id=booking.institution_id)
    if status is BookingStatus.CONFIRMED:
        reminder = outbox.enqueue(session, "booking.reminder", payload,
                                  institution_id=booking.institution_id)
        reminder.next_attempt_at = max(utcnow(), slot.starts_at - REMINDER_BEFORE)
        session.flush()
    else:
        _promote_waitlist(session, actor, slot)
    return view


def record_attendance(session: Session, actor: Actor, booking_id: uuid.UUID,
                      status: BookingStatus, *, policy: Policy) -> dict:
    """The supervisor's institution records attendance or a no-show once the slot has begun."""
    booking, slot = get_visible(session, actor, booking_id, for_update=True)
    if actor.institution_id != slot.institution_id:
        raise Forbidden("Only the supervisor's institution records attendance.")
    if booking.status is not BookingStatus.CONFIRMED:
        raise InvalidTransition("Attendance is recorded for confirmed bookings only.",
                                current_status=booking.status.value)
    if utcnow() < slot.starts_at:
        raise Conflict("Attendance can be recorded once the slot has begun.")
    booking.status = status
    session.flush()
    view, decision = _view(session, actor, booking, policy)
    _audit(session, actor, f"booking.{status.value}", booking, decision, slot_id=str(slot.id))
    return view
