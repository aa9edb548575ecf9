"""Enqueue messages to partners and coordinators in the caller's transaction."""

from __future__ import annotations

import json
import secrets
import uuid

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from gateway.models import Institution, OutboxMessage, OutboxStatus, utcnow
from gateway.services import row_queue
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidTransition, NotFound

INSERT_MESSAGE = insert(OutboxMessage.__table__)  # built once


def enqueue(
    session: Session,
    topic: str,
    payload: dict,
    *,
    institution_id: uuid.UUID | None = None,
    region: str | None = None,
) -> OutboxMessage:
    """Queue ``payload`` for an institution or a region's coordinators; committed with the change.

    The payload is encrypted at rest; it should carry only what the recipient may see. The
    message is inserted at the session's next flush, with the change's other rows; its
    fields are set here, so the caller may read or edit them at once (:func:`send` is for a
    caller that does not).
    """
    message = OutboxMessage(**_row(topic, payload, institution_id, region))
    session.add(message)
    return message


def send(session: Session, topic: str, payload: dict, *, institution_id: uuid.UUID | None = None,
         region: str | None = None) -> None:
    """:func:`enqueue` as a plain row (:mod:`gateway.services.row_queue`), for a caller that
    never reads the message again in the transaction: no ORM instance, written by the prebuilt
    INSERT after the unit of work of the next flush."""
    row_queue.add(session, INSERT_MESSAGE, _row(topic, payload, institution_id, region))


def _row(topic: str, payload: dict, institution_id: uuid.UUID | None,
         region: str | None) -> dict:
    if (institution_id is None) == (region is None):
        raise ValueError("address a message to exactly one institution or region")
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "topic": topic,
        "recipient_institution_id": institution_id,
        "recipient_region": region,
        "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str),
        "idempotency_key": "msg_" + secrets.token_urlsafe(24),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def dead_letters(session: Session, region: str | None = None) -> list[OutboxMessage]:
    """Messages parked after too many failed deliveries, newest first; optionally one region's."""
    query = (select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
             .order_by(OutboxMessage.created_at.desc()))
    if region is not None:
        query = query.outerjoin(Institution,
                                Institution.id == OutboxMessage.recipient_institution_id).where(
            or_(Institution.region == region, OutboxMessage.recipient_region == region))
    return list(session.scalars(query))


def replay(session: Session, actor: Actor, message_id: uuid.UUID) -> OutboxMessage:
    """Put a dead-lettered message back in the queue for immediate delivery."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound("No outbox message with that id.")
    if message.status is not OutboxStatus.DEAD:
        raise InvalidTransition("Only dead-lettered messages can be replayed.",
                                rule="replay_dead_only")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    session.flush()
    journal.record(session, actor, "outbox.replayed", "outbox_message", message.id,
                   detail={"topic": message.topic})
    return message
