"""``audit verify`` and ``audit export``: the whole log checked online, or written out for
``python -m gateway.audit.verify`` to check offline."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit import note, verify
from gateway.audit.audit import Finding, check_log, open_checkpoints
from gateway.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditNode, AuditPending
from gateway.services.audit.sequencer import entry_document

BATCH = 5000


def stored_leaves(session: Session, batch: int = BATCH) -> Iterator[tuple[dict, bytes | None]]:
    """Sequenced entries in leaf order with their stored leaf hashes (None if missing)."""
    after = -1
    while True:
        rows = session.execute(
            select(AuditLeaf.leaf_index, AuditEntry, AuditNode.hash)
            .join(AuditEntry, AuditEntry.seq == AuditLeaf.seq)
            .outerjoin(AuditNode, (AuditNode.level == 0)
                       & (AuditNode.index == AuditLeaf.leaf_index))
            .where(AuditLeaf.leaf_index > after).order_by(AuditLeaf.leaf_index).limit(batch)
        ).all()
        for index, entry, digest in rows:
            yield entry_document(entry, index), b"" if digest is None else bytes(digest)
        if len(rows) < batch:
            return
        after = rows[-1][0]
        session.expunge_all()


def _notes(session: Session) -> list[tuple[str, str]]:
    return [(str(size), text) for size, text in session.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.note).order_by(AuditCheckpoint.size))]


def verify_log(session: Session, verifiers: list[note.Verifier]) -> Finding:
    """Recompute every leaf and root; check every checkpoint's signature and root."""
    checkpoints, fault = open_checkpoints(_notes(session), verifiers, verifiers[0].name)
    if fault:
        return Finding(0, 0, fault)
    return check_log(stored_leaves(session), checkpoints)


def unsequenced(session: Session) -> int:
    """Entries still waiting for the sequencer."""
    return session.scalar(select(func.count()).select_from(AuditPending)) or 0


def export(session: Session, verifiers: list[note.Verifier], directory: Path) -> int:
    """Write every sequenced entry, checkpoint and the log's vkeys to ``directory``."""
    (directory / verify.CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    count = 0
    with (directory / verify.ENTRIES).open("w", encoding="utf-8") as out:
        for document, digest in stored_leaves(session):
            line = {**document, "leaf_hash": base64.b64encode(digest or b"").decode()}
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    for size, text in _notes(session):
        (directory / verify.CHECKPOINTS / verify.checkpoint_file_name(int(size))).write_text(
            text, encoding="utf-8")
    (directory / verify.VKEYS).write_text("".join(v.vkey() + "\n" for v in verifiers),
                                          encoding="utf-8")
    return count
