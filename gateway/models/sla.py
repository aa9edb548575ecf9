"""Service levels of recipients and the breaches the scheduler found."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, enum_type, uuid_pk
from gateway.models.encrypted import EncryptedText

DEFAULT_RECEIPT_MINUTES = 15
DEFAULT_DECISION_MINUTES = 120


class SlaPolicy(Base):
    """A recipient's green-channel promise and who is on call when it is missed."""

    __tablename__ = "sla_policies"

    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"),
                                                      primary_key=True)
    receipt_minutes: Mapped[int] = mapped_column(default=DEFAULT_RECEIPT_MINUTES)
    decision_minutes: Mapped[int] = mapped_column(default=DEFAULT_DECISION_MINUTES)
    on_call_contact: Mapped[str | None] = mapped_column(EncryptedText("sla_policies.on_call"))


class SlaKind(enum.StrEnum):
    """Which promise was missed."""

    RECEIPT = "receipt"
    DECISION = "decision"


class SlaBreach(Base):
    """A missed SLA, recorded once per referral and kind (the unique key makes sure)."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("referral_id", "kind"),)

    id: Mapped[uuid_pk]
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"))
    kind: Mapped[SlaKind] = mapped_column(enum_type(SlaKind))
    due_at: Mapped[datetime]
    detected_at: Mapped[datetime]
