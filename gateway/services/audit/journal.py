"""Appending to the audit log: a plain insert in the caller's transaction, no shared row.

Entries wait unsequenced until the sequencer (:mod:`gateway.services.audit.sequencer`) gives
them leaf indices; writers never wait for it or for each other. An entry is a plain row,
queued in the session (:mod:`gateway.services.row_queue`) and written with the transaction's
other entries, one INSERT for however many, at the next flush (or at commit when nothing else
is written); a rollback discards it. The database adds each entry's ``audit_pending`` row (an
AFTER INSERT trigger, migration 1402).
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, utcnow
from gateway.services import row_queue
from gateway.services.actor import Actor

SUCCESS = "success"
FAILURE = "failure"

# built once; the trigger adds the pending rows. The seqs it returns are not used: RETURNING
# is what makes an executemany of it one multi-row INSERT (SQLAlchemy's "insertmanyvalues");
# without it psycopg runs one INSERT per entry
INSERT_ENTRIES = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.seq)

current_request_id: ContextVar[str | None] = ContextVar("audit_request_id", default=None)
"""Set by the HTTP layer for each request; recorded with every entry the request makes."""


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
) -> None:
    """Add an entry to the session's transaction (inserted with the transaction's other
    entries at the next flush); ``detail`` must hold ids and codes only, never personal data."""
    row_queue.add(session, INSERT_ENTRIES, {
        "recorded_at": utcnow(),
        "actor": actor.label,
        "actor_institution_id": str(actor.institution_id) if actor.institution_id else None,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "purpose": purpose,
        "consent_id": None if consent_id is None else str(consent_id),
        "outcome": outcome,
        "request_id": current_request_id.get(),
        "detail": detail or {},
    })
