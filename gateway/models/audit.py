"""The audit log: entries (leaves once sequenced), stored tree nodes, checkpoints, witnesses."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from gateway.models.base import Base, created_at, uuid_pk

# SQLite only auto-numbers an INTEGER PRIMARY KEY
BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditLeaf(Base):
    """The sequencer's numbering: entry ``seq`` is leaf ``leaf_index`` (written once)."""

    __tablename__ = "audit_leaves"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(
        ForeignKey("audit_entries.seq", ondelete="CASCADE"), unique=True)


class AuditPending(Base):
    """An entry not sequenced yet: inserted with it by the database (an AFTER INSERT trigger
    on ``audit_entries``, migration 1402), deleted by the sequencer."""

    __tablename__ = "audit_pending"

    seq: Mapped[int] = mapped_column(
        ForeignKey("audit_entries.seq", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)


class AuditEntry(Base):
    """Who did what to which object, when, why, under which consent, with what outcome.

    ``seq`` numbers arrivals (insertion order). Writers only insert the entry (the database
    adds its :class:`AuditPending` row); the sequencer adds the :class:`AuditLeaf` row once the
    inserting transaction has committed, so no row is ever updated.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64), index=True)
    actor_institution_id: Mapped[str | None] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str | None] = mapped_column(String(32))
    consent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON)


AuditEntry.leaf_index = column_property(
    select(AuditLeaf.leaf_index).where(AuditLeaf.seq == AuditEntry.seq)
    .correlate_except(AuditLeaf).scalar_subquery())
"""The entry's leaf index, None until sequenced (read-only)."""


class AuditNode(Base):
    """The hash of the complete subtree at ``(level, index)`` (leaf hashes at level 0)."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed tree head, kept for every size the log has published."""

    __tablename__ = "audit_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[created_at]


class AuditWitness(Base):
    """A partner that co-signs checkpoints it found consistent, known by its cosigner key."""

    __tablename__ = "audit_witnesses"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    vkey: Mapped[str] = mapped_column(String(300))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institutions.id"))
    created_at: Mapped[created_at]


class AuditCosignature(Base):
    """A witness's cosignature of one checkpoint (the note signature line as sent)."""

    __tablename__ = "audit_cosignatures"

    witness_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audit_witnesses.id"),
                                                  primary_key=True)
    size: Mapped[int] = mapped_column(ForeignKey("audit_checkpoints.size"), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[datetime]
    received_at: Mapped[created_at]
