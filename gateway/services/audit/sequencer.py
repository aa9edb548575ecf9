"""The sequencer: committed entries become leaves, gap-free and in commit order; a signed
checkpoint follows each seal.

Writers only insert the entry; the database adds its row in ``audit_pending`` (a trigger).
``seal`` takes the oldest pending entries that are visible, i.e. whose inserting transactions
have committed, numbers them from the current tree size (rows in ``audit_leaves``, a table no
writer touches) and extends the stored tree: each leaf adds its hash and the O(log n)
complete-subtree hashes it completes, reading only the tree's frontier (its peaks). Entries of
a transaction that commits later are simply sequenced by a later seal, so none is skipped and
none waits for another.
One sequencer runs at a time: a transaction-scoped advisory lock on PostgreSQL (others skip
the round instead of waiting), the database write lock on SQLite.
"""

from __future__ import annotations

from sqlalchemy import Row, and_, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from gateway.audit import entries, tlog
from gateway.audit.checkpoint import Checkpoint, sign_checkpoint
from gateway.audit.note import Signer
from gateway.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditNode, AuditPending

SEQUENCER_LOCK = 0x61756469  # "audi": the advisory lock only sequencers take
DEFAULT_BATCH = 10_000


def entry_document(entry: AuditEntry | Row, leaf_index: int | None = None) -> dict:
    """The entry (a model or a row of ``audit_entries``) as the JSON object its leaf hashes
    (see :mod:`gateway.audit.entries`)."""
    return {
        "leaf_index": entry.leaf_index if leaf_index is None else leaf_index,
        "recorded_at": entry.recorded_at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "actor_institution_id": entry.actor_institution_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "consent_id": entry.consent_id,
        "outcome": entry.outcome,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }


def tree_size(session: Session) -> int:
    """How many leaves the log has."""
    last = session.scalar(select(func.max(AuditLeaf.leaf_index)))
    return 0 if last is None else last + 1


def peaks(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` of the complete subtrees a tree of ``size`` leaves consists of."""
    found, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            found.append((level, start >> level))
            start += 1 << level
    return found


def load_nodes(session: Session, addresses: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Stored hashes at ``addresses`` (missing ones are absent from the result)."""
    if not addresses:
        return {}
    rows = session.execute(select(AuditNode.level, AuditNode.index, AuditNode.hash).where(
        or_(*(and_(AuditNode.level == lvl, AuditNode.index == idx) for lvl, idx in addresses))))
    return {(lvl, idx): bytes(h) for lvl, idx, h in rows}


def _take_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: this transaction already holds the write lock
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                               {"key": SEQUENCER_LOCK}))


def seal(session: Session, signer: Signer, batch: int = DEFAULT_BATCH) -> Checkpoint | None:
    """Sequence up to ``batch`` committed entries and sign a checkpoint of the new size.

    Returns None when another sequencer holds the lock or nothing changed (a first seal of an
    empty log still signs the size-0 checkpoint). The caller commits.
    """
    if not _take_lock(session):
        return None
    size = tree_size(session)
    entries_table = AuditEntry.__table__
    pending = session.execute(
        select(entries_table).join(AuditPending, AuditPending.seq == entries_table.c.seq)
        .order_by(entries_table.c.seq).limit(batch)).all()
    if not pending and session.get(AuditCheckpoint, size) is not None:
        return None
    frontier = load_nodes(session, peaks(size))
    nodes: list[dict] = []
    for offset, entry in enumerate(pending):
        index = size + offset
        leaf = entries.leaf_hash(entry_document(entry, index))
        for level, node_index, digest in tlog.stored_hashes_for_leaf(
                index, leaf, lambda lvl, idx: frontier[(lvl, idx)]):
            frontier[(level, node_index)] = digest
            nodes.append({"level": level, "index": node_index, "hash": digest})
    new_size = size + len(pending)
    if pending:  # Core statements: plain executemany, no identity map
        session.execute(insert(AuditLeaf.__table__), [
            {"leaf_index": size + offset, "seq": entry.seq}
            for offset, entry in enumerate(pending)])
        session.execute(insert(AuditNode.__table__), nodes)
        session.execute(delete(AuditPending.__table__).where(
            AuditPending.__table__.c.seq.in_([entry.seq for entry in pending])))
    checkpoint = Checkpoint(signer.name, new_size,
                            tlog.tree_hash(new_size, lambda lvl, idx: frontier[(lvl, idx)]))
    session.add(AuditCheckpoint(size=new_size, root=checkpoint.root,
                                note=sign_checkpoint(checkpoint, signer)))
    session.flush()
    return checkpoint
