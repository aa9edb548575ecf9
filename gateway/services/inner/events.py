"""Training events: registration within capacity, attendance recorded by the organiser."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import (
    EventRegistration,
    ParticipantRole,
    RegistrationStatus,
    Resource,
    TrainingEvent,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, Forbidden, InvalidTransition, NotFound
from gateway.services.inner import resources
from keys.pseudonym import PseudonymKey

HOLDING = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT)


def _event(session: Session, actor: Actor,
           event_id: uuid.UUID) -> tuple[Resource, TrainingEvent]:
    """A visible event resource and its schedule, locked for the transaction (PostgreSQL)."""
    resource = resources.get_visible(session, actor, event_id)
    event = session.scalar(select(TrainingEvent).where(TrainingEvent.resource_id == event_id)
                           .with_for_update())
    if event is None:
        raise NotFound("No event with that id.")
    return resource, event


def register(session: Session, actor: Actor, pseudonyms: PseudonymKey, event_id: uuid.UUID,
             participant_ref: str, role: ParticipantRole) -> EventRegistration:
    """Register a person of the actor's institution while seats remain."""
    _resource, event = _event(session, actor, event_id)
    if event.starts_at <= utcnow():
        raise Conflict("Registration closes when the event starts.")
    key = pseudonyms.derive("participant", str(actor.institution_id), participant_ref)
    existing = session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.participant_key == key))
    if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
        raise Conflict("This person is already registered for the event.")
    taken = session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.status.in_(HOLDING)))
    if taken >= event.capacity:
        raise Conflict("The event is full.", capacity=event.capacity)
    registration = existing or EventRegistration(
        event_id=event_id, institution_id=actor.institution_id, participant_key=key,
        participant_ref=participant_ref, created_by=actor.client_id)
    registration.role, registration.status = role, RegistrationStatus.REGISTERED
    session.add(registration)
    session.flush()
    journal.record(session, actor, "event.registered", "event_registration", registration.id,
                   detail={"event_id": str(event_id), "role": role.value})
    return registration


def _registration(session: Session, actor: Actor, event_id: uuid.UUID,
                  registration_id: uuid.UUID) -> tuple[Resource, TrainingEvent, EventRegistration]:
    resource, event = _event(session, actor, event_id)
    registration = session.get(EventRegistration, registration_id)
    if (registration is None or registration.event_id != event_id
            or actor.institution_id not in (resource.owner_institution_id,
                                            registration.institution_id)):
        raise NotFound("No registration with that id.")
    return resource, event, registration


def cancel(session: Session, actor: Actor, event_id: uuid.UUID,
           registration_id: uuid.UUID) -> EventRegistration:
    """The registering institution withdraws a registration before the event starts."""
    _resource, event, registration = _registration(session, actor, event_id, registration_id)
    if actor.institution_id != registration.institution_id:
        raise Forbidden("Only the registering institution may cancel.")
    if registration.status is not RegistrationStatus.REGISTERED or event.starts_at <= utcnow():
        raise InvalidTransition("Only a registration for an event yet to start can be cancelled.",
                                current_status=registration.status.value)
    registration.status = RegistrationStatus.CANCELLED
    session.flush()
    journal.record(session, actor, "event.registration_cancelled", "event_registration",
                   registration.id, detail={"event_id": str(event_id)})
    return registration


def record_attendance(session: Session, actor: Actor, event_id: uuid.UUID,
                      registration_id: uuid.UUID, attended: bool) -> EventRegistration:
    """The organiser records who came, once the event has begun."""
    resource, event, registration = _registration(session, actor, event_id, registration_id)
    if resource.owner_institution_id != actor.institution_id:
        raise Forbidden("Only the organising institution records attendance.")
    if registration.status is RegistrationStatus.CANCELLED:
        raise InvalidTransition("A cancelled registration has no attendance.",
                                current_status=registration.status.value)
    if utcnow() < event.starts_at:
        raise Conflict("Attendance can be recorded once the event has begun.")
    registration.status = RegistrationStatus.ATTENDED if attended else RegistrationStatus.ABSENT
    session.flush()
    journal.record(session, actor, f"event.{registration.status.value}", "event_registration",
                   registration.id, detail={"event_id": str(event_id)})
    return registration


def list_registrations(session: Session, actor: Actor,
                       event_id: uuid.UUID) -> list[EventRegistration]:
    """The organiser sees every registration; another institution sees its own."""
    owner = resources.get_visible(session, actor, event_id).owner_institution_id
    query = select(EventRegistration).where(EventRegistration.event_id == event_id)
    if actor.institution_id != owner:
        query = query.where(EventRegistration.institution_id == actor.institution_id)
    rows = list(session.scalars(query.order_by(EventRegistration.created_at)))
    journal.record(session, actor, "event.registrations_listed", "resource", event_id,
                   detail={"count": len(rows)})
    return rows
