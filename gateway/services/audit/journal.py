"""Appending to the audit log: a plain insert in the caller's transaction, no shared row.

Entries wait unsequenced until the sequencer (:mod:`gateway.services.audit.sequencer`) gives
them leaf indices; writers never wait for it or for each other. A flush writes the entries
the session holds with Core, one INSERT for however many the transaction recorded; the
database adds each entry's ``audit_pending`` row (an AFTER INSERT trigger, migration 1402).
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, UOWTransaction

from gateway.models import AuditEntry, utcnow
from gateway.services.actor import Actor

SUCCESS = "success"
FAILURE = "failure"

ENTRIES = AuditEntry.__table__
COLUMNS = ("recorded_at", "actor", "actor_institution_id", "action", "object_type", "object_id",
           "purpose", "consent_id", "outcome", "request_id", "detail")
INSERT_ENTRIES = insert(ENTRIES)  # built once; the trigger adds the pending rows

current_request_id: ContextVar[str | None] = ContextVar("audit_request_id", default=None)
"""Set by the HTTP layer for each request; recorded with every entry the request makes."""


def new_entry(actor: Actor, action: str, object_type: str, object_id: object = None, *,
              purpose: str | None = None, consent_id: object = None, outcome: str = SUCCESS,
              detail: dict | None = None) -> AuditEntry:
    """An unsequenced entry, to add to a session; ``detail`` must hold ids and codes only,
    never personal data."""
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
) -> None:
    """Add an entry to the session's transaction (inserted with the transaction's other
    entries at the next flush); ``detail`` must hold no personal data."""
    session.add(new_entry(actor, action, object_type, object_id, purpose=purpose,
                          consent_id=consent_id, outcome=outcome, detail=detail))


@event.listens_for(Session, "before_flush")
def _insert_entries(session: Session, _context: UOWTransaction, _objects: object) -> None:
    """Insert the flush's new entries, one statement for any number (the database adds
    their pending rows).

    The unit of work would insert entries one by one on SQLite (it cannot match RETURNING
    rows to objects there); the entries need no matching: nothing reads an entry object once
    recorded, and they are numbered in the order given. The entries leave the session and
    are written here, in the flush's transaction or savepoint, so a rollback discards them
    with the rest.
    """
    entries = [row for row in session.new if isinstance(row, AuditEntry)]
    if not entries:
        return
    for entry in entries:
        session.expunge(entry)
    session.connection().execute(INSERT_ENTRIES, [{name: getattr(entry, name) for name in COLUMNS}
                                                  for entry in entries])
