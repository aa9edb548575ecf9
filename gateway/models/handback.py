"""Hand-back after hospital care (复学, 善后): discharge advice and the follow-up plan."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk
from gateway.models.encrypted import EncryptedText


class HandBack(Base):
    """What a hospital sends the school when its care of a referred student ends."""

    __tablename__ = "hand_backs"

    id: Mapped[uuid_pk]
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    discharge_advice: Mapped[str] = mapped_column(EncryptedText("hand_backs.discharge_advice"))
    return_to_school_advised: Mapped[bool]
    return_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]


class PlannedFollowUp(Base):
    """One follow-up the hand-back plans (e.g. after 1 week); done by a recorded visit."""

    __tablename__ = "planned_follow_ups"
    __table_args__ = (Index("ix_planned_follow_ups_case", "case_id", "due_at"),)

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    hand_back_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hand_backs.id"))
    due_at: Mapped[datetime]
    done_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_entries.id"))
