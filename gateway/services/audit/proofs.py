"""Reading the log with proofs: checkpoints, entries with inclusion proofs, consistency proofs.

Proofs come from the stored complete-subtree hashes (O(log n) rows each). An institution may
fetch an entry only for exchanges it took part in, a coordinator only for their region (as
the audit viewer shows it); any other index is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit import entries, tlog
from gateway.models import (
    AuditCheckpoint,
    AuditEntry,
    AuditLeaf,
    AuditNode,
    Consent,
    Coordinator,
    Partnership,
    Referral,
)
from gateway.services.actor import Actor
from gateway.services.audit import viewer
from gateway.services.audit.sequencer import entry_document
from gateway.services.errors import InvalidInput, NotFound


def node_reader(session: Session) -> tlog.HashAt:
    """Stored hashes, read one row at a time (the identity map caches repeats)."""

    def hash_at(level: int, index: int) -> bytes:
        node = session.get(AuditNode, (level, index))
        if node is None:
            raise NotFound("That part of the audit tree does not exist.")
        return bytes(node.hash)

    return hash_at


def latest_checkpoint(session: Session) -> AuditCheckpoint:
    """The newest signed checkpoint; NotFound before the first seal."""
    checkpoint = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)).first()
    if checkpoint is None:
        raise NotFound("The audit log has not published a checkpoint yet.")
    return checkpoint


def _published_size(session: Session, size: int) -> int:
    """``size`` if the latest checkpoint covers it (proofs exist for every size up to it)."""
    if size > latest_checkpoint(session).size:
        raise InvalidInput(f"The log has not published a tree of size {size} yet.",
                           rule="tree_size")
    return size


def _took_part(session: Session, entry: AuditEntry, institution: uuid.UUID) -> bool:
    """Whether ``institution`` acted in, or is a party to the object of, this entry."""
    mine = str(institution)
    if mine in (entry.actor_institution_id, entry.object_id):
        return True
    try:
        object_id = uuid.UUID(entry.object_id or "")
    except ValueError:
        return False
    if entry.object_type == "referral":
        referral = session.get(Referral, object_id)
        return referral is not None and institution in (referral.sender_id,
                                                        referral.recipient_id)
    if entry.object_type == "consent":
        consent = session.get(Consent, object_id)
        return consent is not None and institution in (consent.institution_id,
                                                       consent.recipient_id)
    if entry.object_type == "partnership":
        partnership = session.get(Partnership, object_id)
        return partnership is not None and institution in (partnership.institution_a_id,
                                                           partnership.institution_b_id)
    return False


def _proven_entry(session: Session, index: int, tree_size: int,
                  visible: Callable[[AuditEntry], bool]) -> dict:
    """The entry at ``index`` with its leaf hash and audit path against ``tree_size``, if
    ``visible`` lets the caller see it."""
    _published_size(session, tree_size)
    entry = session.scalars(select(AuditEntry).join(AuditLeaf, AuditLeaf.seq == AuditEntry.seq)
                            .where(AuditLeaf.leaf_index == index)).first()
    if entry is None or index >= tree_size or not visible(entry):
        raise NotFound("No such audit entry for this caller.")
    document = entry_document(entry, index)
    path = tlog.inclusion_proof(index, tree_size, node_reader(session))
    return {"entry": document, "leaf_index": index, "tree_size": tree_size,
            "leaf_hash": entries.leaf_hash(document), "audit_path": path}


def entry_with_proof(session: Session, actor: Actor, index: int, tree_size: int) -> dict:
    """An institution's view: the entry at ``index`` with its inclusion proof against
    ``tree_size``, only for an exchange the caller's institution took part in."""
    institution = actor.institution_id
    return _proven_entry(session, index, tree_size, lambda entry: institution is not None
                         and _took_part(session, entry, institution))


def entry_for_coordinator(session: Session, coordinator: Coordinator, index: int,
                          tree_size: int) -> dict:
    """A coordinator's view: the same, only for an entry of the coordinator's region."""
    return _proven_entry(session, index, tree_size,
                         lambda entry: viewer.may_see(session, coordinator, entry))


def checkpoint_of(session: Session, size: int) -> AuditCheckpoint | None:
    """The signed checkpoint of exactly ``size`` leaves, if the log published one."""
    return session.get(AuditCheckpoint, size)


def consistency(session: Session, first: int, second: int) -> list[bytes]:
    """The RFC 9162 consistency proof between two tree sizes the log has published."""
    if first > second:
        raise InvalidInput("first must not exceed second.", rule="tree_order")
    _published_size(session, second)
    return tlog.consistency_proof(first, second, node_reader(session))
