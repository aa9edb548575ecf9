"""The tamper-evident audit log: append in the caller's transaction, verify the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, AuditHead, utcnow
from gateway.services.actor import Actor

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def entry_digest(prev_hash: str, seq: int, recorded_at: datetime, fields: dict) -> str:
    """SHA-256 over the predecessor's hash and a canonical JSON of this entry."""
    canonical = json.dumps(
        {"seq": seq, "recorded_at": recorded_at.isoformat(), **fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict:
    return {
        "actor": entry.actor,
        "actor_institution_id": entry.actor_institution_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "consent_id": entry.consent_id,
        "detail": entry.detail,
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    purpose: str | None = None,
    consent_id: object = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append an entry in the session's transaction; ``detail`` must hold no personal data."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
        session.add(head)
    entry = AuditEntry(
        seq=head.seq + 1,
        recorded_at=utcnow(),
        actor=actor.label,
        actor_institution_id=(
            str(actor.institution_id) if actor.institution_id else None
        ),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        consent_id=None if consent_id is None else str(consent_id),
        detail=detail or {},
        prev_hash=head.entry_hash,
    )
    entry.entry_hash = entry_digest(entry.prev_hash, entry.seq, entry.recorded_at, _fields(entry))
    head.seq, head.entry_hash = entry.seq, entry.entry_hash
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: ``ok``, entries checked, and the first fault."""

    ok: bool
    checked: int
    fault_seq: int | None = None
    fault: str | None = None


def verify(session: Session, batch: int = 1000) -> Verification:
    """Recompute every hash in order; detect edited, deleted, inserted or reordered entries."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq)
        rows = session.scalars(query.limit(batch)).all()
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(False, checked, expected_seq, "entry missing")
            if entry.prev_hash != prev_hash:
                return Verification(False, checked, entry.seq, "link to predecessor broken")
            digest = entry_digest(prev_hash, entry.seq, entry.recorded_at, _fields(entry))
            if digest != entry.entry_hash:
                return Verification(False, checked, entry.seq, "content does not match its hash")
            prev_hash, expected_seq, checked = entry.entry_hash, expected_seq + 1, checked + 1
            last_seq = entry.seq
        if len(rows) < batch:
            break
    head = session.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (checked, prev_hash):
        return Verification(False, checked, head_seq, "chain head does not match the last entry")
    return Verification(True, checked)
