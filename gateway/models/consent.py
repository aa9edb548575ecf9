"""Consent records: who agreed that which data about a student may go where, and for what."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk


class Grantor(enum.StrEnum):
    """Who gave the consent."""

    STUDENT = "student"
    GUARDIAN = "guardian"


class Purpose(enum.StrEnum):
    """What an exchange is for; each purpose needs its own consent."""

    REFERRAL = "referral"
    GREEN_CHANNEL_REFERRAL = "green_channel_referral"
    SUPERVISION_CASE = "supervision_case"
    CASE_CONFERENCE = "case_conference"
    FOLLOW_UP = "follow_up"
    HANDOVER = "handover"
    AGGREGATE_STATISTICS = "aggregate_statistics"


class DataCategory(enum.StrEnum):
    """Kinds of personal data a consent may release; everything else stays behind."""

    IDENTITY = "identity"
    CONTACT = "contact"
    GUARDIAN_CONTACT = "guardian_contact"
    RISK_ASSESSMENT = "risk_assessment"
    CLINICAL_NOTES = "clinical_notes"
    SCHOOL_RECORD = "school_record"


class Consent(Base):
    """A consent held by ``institution`` for one subject, purpose and recipient.

    The recipient is either one named institution (``recipient_id``) or any institution of the
    ``recipient_kinds`` that has an active partnership with the holder.
    """

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_lookup", "institution_id", "subject_key", "purpose", "recipient_id"),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    subject_key: Mapped[str] = mapped_column(String(64))
    grantor: Mapped[Grantor] = mapped_column(enum_type(Grantor))
    purpose: Mapped[Purpose] = mapped_column(enum_type(Purpose))
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institutions.id"))
    recipient_kinds: Mapped[list[str] | None] = mapped_column(JSON)
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]

    def is_valid_at(self, moment: datetime) -> bool:
        """In force at ``moment``: started, not expired, not revoked."""
        return self.revoked_at is None and self.valid_from <= moment < self.valid_until
