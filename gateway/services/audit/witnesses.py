"""Witnesses: partners registered by their cosigner key, their cosignatures, how far behind
each one is, and the split views they report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit import cosignature, note
from gateway.audit.checkpoint import open_checkpoint
from gateway.models import AuditCheckpoint, AuditCosignature, AuditWitness
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, InvalidInput, NotFound


def register(session: Session, actor: Actor, vkey: str,
             institution_id: uuid.UUID | None = None) -> AuditWitness:
    """Register a witness by its cosigner vkey (signature type 0x04)."""
    try:
        verifier = note.parse_vkey(vkey)
    except note.NoteError as exc:
        raise InvalidInput(f"Not a verifier key: {exc}") from exc
    if verifier.alg != cosignature.ALG_COSIGNATURE:
        raise InvalidInput("A witness key must be a cosignature (type 0x04) key.")
    if session.scalars(select(AuditWitness).where(AuditWitness.name == verifier.name)).first():
        raise Conflict("A witness of that name is registered already.")
    witness = AuditWitness(name=verifier.name, vkey=vkey, institution_id=institution_id)
    session.add(witness)
    session.flush()
    journal.record(session, actor, "audit.witness_registered", "audit_witness", witness.id,
                   detail={"name": verifier.name})
    return witness


def accept_cosignature(session: Session, actor: Actor, size: int, line: str) -> AuditWitness:
    """Verify and keep a witness's cosignature of the checkpoint of ``size``."""
    checkpoint = session.get(AuditCheckpoint, size)
    if checkpoint is None:
        raise NotFound("No checkpoint of that size.")
    body, _ = note.split(checkpoint.note)
    name = line.removeprefix(note.SIGNATURE_PREFIX).split(" ", 1)[0]
    witness = session.scalars(select(AuditWitness).where(AuditWitness.name == name)).first()
    if witness is None or (witness.institution_id
                           and witness.institution_id != actor.institution_id):
        raise NotFound("No such witness for this caller.")
    try:
        signed = cosignature.verify_cosignature(body, line, note.parse_vkey(witness.vkey))
    except note.NoteError as exc:
        raise InvalidInput(f"Cosignature rejected: {exc}") from exc
    if session.get(AuditCosignature, (witness.id, size)) is None:
        session.add(AuditCosignature(
            witness_id=witness.id, size=size, line=signed.line,
            cosigned_at=datetime.fromtimestamp(signed.timestamp, UTC)))
        journal.record(session, actor, "audit.cosigned", "audit_checkpoint", size,
                       detail={"witness": witness.name})
    return witness


@dataclass(frozen=True)
class WitnessLag:
    """One witness on the board: the largest size it co-signed and how many leaves behind."""

    name: str
    cosigned_size: int | None
    cosigned_at: datetime | None
    behind: int


def lag(session: Session) -> list[WitnessLag]:
    """Every witness with how far its latest cosignature is behind the latest checkpoint."""
    latest = session.scalar(select(func.max(AuditCheckpoint.size))) or 0
    newest = (select(AuditCosignature.witness_id, func.max(AuditCosignature.size).label("size"))
              .group_by(AuditCosignature.witness_id).subquery())
    rows = session.execute(
        select(AuditWitness.name, newest.c.size, AuditCosignature.cosigned_at)
        .outerjoin(newest, newest.c.witness_id == AuditWitness.id)
        .outerjoin(AuditCosignature, (AuditCosignature.witness_id == AuditWitness.id)
                   & (AuditCosignature.size == newest.c.size))
        .order_by(AuditWitness.name))
    return [WitnessLag(name, size, at, latest - (size or 0)) for name, size, at in rows]


def report_split_view(session: Session, actor: Actor, verifiers: list[note.Verifier],
                      earlier: str, later: str) -> bool:
    """Record a witness's split-view report; True when both notes carry the log's signature
    (then the report is proof of misbehaviour, not just a claim)."""
    proven = True
    sizes = []
    for signed in (earlier, later):
        try:
            sizes.append(open_checkpoint(signed, verifiers)[0].size)
        except note.NoteError:
            proven = False
    journal.record(session, actor, "audit.split_view_reported", "audit_log", None,
                   outcome=journal.FAILURE,
                   detail={"signed_by_log": proven, "sizes": sizes})
    return proven
