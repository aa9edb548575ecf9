"""Appending to the audit log: a plain insert in the caller's transaction, no shared row.

Entries wait unsequenced until the sequencer (:mod:`gateway.services.audit.sequencer`) gives
them leaf indices; writers never wait for it or for each other.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.orm import Session

from gateway.models import AuditEntry, AuditPending, utcnow
from gateway.services.actor import Actor

SUCCESS = "success"
FAILURE = "failure"

current_request_id: ContextVar[str | None] = ContextVar("audit_request_id", default=None)
"""Set by the HTTP layer for each request; recorded with every entry the request makes."""


def new_entry(actor: Actor, action: str, object_type: str, object_id: object = None, *,
              purpose: str | None = None, consent_id: object = None, outcome: str = SUCCESS,
              detail: dict | None = None) -> AuditEntry:
    """An unsequenced entry; ``detail`` must hold ids and codes only, never personal data."""
    return AuditEntry(
        recorded_at=utcnow(),
        actor=actor.label,
        actor_institution_id=str(actor.institution_id) if actor.institution_id else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        consent_id=None if consent_id is None else str(consent_id),
        outcome=outcome,
        request_id=current_request_id.get(),
        detail=detail or {},
        pending=AuditPending(),
    )


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    purpose: str | None = None,
    consent_id: object = None,
    outcome: str = SUCCESS,
    detail: dict | None = None,
) -> AuditEntry:
    """Add an entry to the session's transaction (inserted with the request's other entries
    at the next flush, one multi-row insert); ``detail`` must hold no personal data."""
    entry = new_entry(actor, action, object_type, object_id, purpose=purpose,
                      consent_id=consent_id, outcome=outcome, detail=detail)
    session.add(entry)
    return entry
