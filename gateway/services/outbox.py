"""Enqueue messages to partners and coordinators in the caller's transaction."""

from __future__ import annotations

import json
import secrets
import uuid

from sqlalchemy.orm import Session

from gateway.models import OutboxMessage


def enqueue(
    session: Session,
    topic: str,
    payload: dict,
    *,
    institution_id: uuid.UUID | None = None,
    region: str | None = None,
) -> OutboxMessage:
    """Queue ``payload`` for an institution or a region's coordinators; committed with the change.

    The payload is encrypted at rest; it should carry only what the recipient may see.
    """
    if (institution_id is None) == (region is None):
        raise ValueError("address a message to exactly one institution or region")
    message = OutboxMessage(
        topic=topic,
        recipient_institution_id=institution_id,
        recipient_region=region,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str),
        idempotency_key="msg_" + secrets.token_urlsafe(24),
    )
    session.add(message)
    session.flush()
    return message
