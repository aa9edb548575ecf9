"""The history of a referral: status changes, business statuses and interim feedback."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText


class BusinessStatus(enum.StrEnum):
    """A finer status than the lifecycle, modelled on the HL7 BSeR referral business status."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    EVENT_SCHEDULED = "event_scheduled"
    EVENT_UNATTENDED = "event_unattended"  # no-show
    EVENT_COMPLETED = "event_completed"
    INTERIM_REPORT = "interim_report"
    FULFILLMENT_COMPLETED = "fulfillment_completed"


class DeclineReason(enum.StrEnum):
    """Why a recipient declines (coded; never free text with personal data)."""

    NO_CAPACITY = "no_capacity"
    OUTSIDE_CATCHMENT = "outside_catchment"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_INDICATED = "not_indicated"
    INCOMPLETE_INFORMATION = "incomplete_information"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    OTHER = "other"


class ReferralEvent(Base):
    """One step in a referral's history, shown to both sides."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_referral", "referral_id", "recorded_at"),)

    id: Mapped[uuid_pk]
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    business_status: Mapped[str | None] = mapped_column(String(32))
    appointment_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(EncryptedText("referral_events.note"))
    # The referral's version after this event (None for events recorded before versions).
    version: Mapped[int | None]
