"""Referrals between institutions and the idempotency records of their creation."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    case,
    event,
    func,
    inspect,
    literal,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, object_session

from gateway.models.base import Base, UTCDateTime, created_at, enum_type, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText


class Priority(enum.StrEnum):
    """How fast the recipient must act; green channel is the crisis fast lane."""

    ROUTINE = "routine"
    URGENT = "urgent"
    GREEN_CHANNEL = "green_channel"


class ReferralStatus(enum.StrEnum):
    """Where a referral is in its lifecycle (modelled on FHIR Task status)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """No transition leaves a final status."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({ReferralStatus.COMPLETED, ReferralStatus.DECLINED,
                            ReferralStatus.WITHDRAWN, ReferralStatus.EXPIRED})


class ReferralReason(enum.StrEnum):
    """Why the student is referred (coded; the free text is in the encrypted summary)."""

    SUICIDE_RISK = "suicide_risk"
    SELF_HARM = "self_harm"
    PSYCHOTIC_SYMPTOMS = "psychotic_symptoms"
    DEPRESSIVE_SYMPTOMS = "depressive_symptoms"
    ANXIETY_SYMPTOMS = "anxiety_symptoms"
    OTHER = "other"


NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts referrals without a deadline last


class Referral(Base):
    """A request from a sender institution that a recipient take over or share care."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_inbox", "recipient_id", "created_at", "id"),
        Index("ix_referrals_outbox", "sender_id", "created_at", "id"),
        Index("ix_referrals_part_of", "part_of_id"),  # a read's onward chain
    )

    id: Mapped[uuid_pk]
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    subject_key: Mapped[str] = mapped_column(String(64))
    recipient_pseudonym: Mapped[str] = mapped_column(String(64))
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    breakglass_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("breakglass_releases.id"))
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    personal_data: Mapped[str | None] = mapped_column(EncryptedText("referrals.personal_data"))
    priority: Mapped[Priority] = mapped_column(enum_type(Priority))
    reason: Mapped[ReferralReason] = mapped_column(enum_type(ReferralReason))
    summary: Mapped[str | None] = mapped_column(EncryptedText("referrals.summary"))
    diagnosis_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[ReferralStatus] = mapped_column(enum_type(ReferralStatus), index=True)
    business_status: Mapped[str | None] = mapped_column(String(32))
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    outcome_note: Mapped[str | None] = mapped_column(EncryptedText("referrals.outcome_note"))
    outcome_diagnosis_code: Mapped[str | None] = mapped_column(String(16))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The referral this onward referral was made from by its recipient (FHIR Task.partOf).
    part_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))
    campus_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campuses.id"))  # sender's
    # Lifecycle clock: what the metrics and the SLAs are measured on.
    submitted_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    first_appointment_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    receipt_due_at: Mapped[datetime | None]
    decision_due_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Counts the row's versions (FHIR meta.versionId); raised by every ORM update below.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @hybrid_property
    def due_at(self) -> datetime | None:
        """The next deadline the recipient must meet: receipt (else expiry) while submitted,
        the decision while received (green channel); None once decided."""
        if self.status is ReferralStatus.SUBMITTED:
            return self.receipt_due_at or self.expires_at
        if self.status is ReferralStatus.RECEIVED:
            return self.decision_due_at
        return None

    @due_at.inplace.expression
    @classmethod
    def _due_at_expression(cls):
        return case(
            (cls.status == ReferralStatus.SUBMITTED,
             func.coalesce(cls.receipt_due_at, cls.expires_at)),
            (cls.status == ReferralStatus.RECEIVED, cls.decision_due_at),
            else_=None)

    @hybrid_property
    def deadline_order(self) -> datetime:
        """What the deadline order sorts on: ``due_at``, or :data:`NO_DEADLINE` without one.

        Migration 0020 indexes this expression as SQLAlchemy renders it: change both or none.
        """
        return self.due_at or NO_DEADLINE

    @deadline_order.inplace.expression
    @classmethod
    def _deadline_order_expression(cls):
        return func.coalesce(cls.due_at, literal(NO_DEADLINE, UTCDateTime()))


# The inbox's other keyset orders (newest first is ix_referrals_inbox): by last update, and by
# deadline on PostgreSQL with the hand-made expression index ix_referrals_inbox_deadline on
# (recipient_id, deadline_order, id) (migration 0020; SQLite, the small embedded default, sorts).
Index("ix_referrals_inbox_updated", Referral.recipient_id, Referral.updated_at, Referral.id)


@event.listens_for(Referral, "before_update")
def _next_version(_mapper, _connection, referral: Referral) -> None:
    """A changed referral is a new version (``version + 1`` in SQL, so never lost), unless
    the change set the version itself (the lifecycle, under the row lock)."""
    session = object_session(referral)
    if session is not None and session.is_modified(referral, include_collections=False) and \
            not inspect(referral).attrs.version.history.has_changes():
        referral.version = Referral.version + 1


class IdempotencyRecord(Base):
    """The result of a create made with an ``Idempotency-Key``, per client."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"))
    created_at: Mapped[created_at]
