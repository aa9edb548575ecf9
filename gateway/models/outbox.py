"""The transactional outbox: messages to partners, written in the same transaction as the change."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText


class OutboxStatus(enum.StrEnum):
    """Delivery state of a message."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    SKIPPED = "skipped"  # no push endpoint: the partner reads the API instead


class OutboxMessage(Base):
    """One message for an institution, or for the coordinators of a region."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[uuid_pk]
    topic: Mapped[str] = mapped_column(String(64))
    recipient_institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id"), index=True)
    recipient_region: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(EncryptedText("outbox.payload"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_type(OutboxStatus),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A worker's lease: others skip the row until it has passed (crash recovery).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[created_at]
    delivered_at: Mapped[datetime | None]
