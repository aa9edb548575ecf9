"""Partnerships: agreements that allow two institutions to exchange, for a period."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk


class Exchange(enum.StrEnum):
    """What a partnership allows."""

    REFERRAL = "referral"
    SUPERVISION = "supervision"
    TRAINING_RESOURCES = "training_resources"


class PartnershipStatus(enum.StrEnum):
    """Where an agreement stands; only ``active`` allows exchanges."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Partnership(Base):
    """An agreement between two institutions (stored with the smaller id first)."""

    __tablename__ = "partnerships"
    __table_args__ = (
        CheckConstraint("institution_a_id <> institution_b_id", name="distinct_parties"),
        Index("ix_partnerships_pair", "institution_a_id", "institution_b_id"),
    )

    id: Mapped[uuid_pk]
    institution_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    institution_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    exchanges: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[PartnershipStatus] = mapped_column(enum_type(PartnershipStatus))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    created_at: Mapped[created_at]
    approved_at: Mapped[datetime | None]
    proposed_by: Mapped[str | None] = mapped_column(String(64))  # an audit label

    def allows(self, exchange: Exchange, moment: datetime) -> bool:
        """Active, in its validity period, and covering ``exchange``."""
        return (self.status is PartnershipStatus.ACTIVE
                and self.valid_from <= moment < self.valid_until
                and exchange.value in self.exchanges)
