"""Alerts: messages that must reach a person, and the contacts they go to by e-mail."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, created_at, enum_type, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText

if TYPE_CHECKING:
    from gateway.models.outbox import OutboxMessage


class AlertKind(enum.StrEnum):
    """What happened."""

    BREAKGLASS_RELEASED = "breakglass_released"
    SLA_BREACHED = "sla_breached"
    CRISIS_REVIEW_OVERDUE = "crisis_review_overdue"
    HANDED_BACK = "handed_back"


class MailState(enum.StrEnum):
    """Where the e-mail fallback of an alert stands."""

    WAITING = "waiting"  # the webhook may still deliver it
    NOT_NEEDED = "not_needed"  # the webhook delivered it
    DUE = "due"  # no webhook, or it failed: send by e-mail
    SENT = "sent"
    FAILED = "failed"  # no contact, no SMTP, or every attempt failed


class Alert(Base):
    """One alert to a region's coordinators (and the institution concerned), until acknowledged.

    It carries no personal data: a pseudonym, the institution and what happened.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_region_open", "region", "acknowledged_at"),
        Index("ix_alerts_mail_due", "mail_state", "mail_next_attempt_at"),
    )

    id: Mapped[uuid_pk]
    kind: Mapped[AlertKind] = mapped_column(enum_type(AlertKind))
    region: Mapped[str] = mapped_column(String(64))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institutions.id"))
    pseudonym: Mapped[str | None] = mapped_column(String(128))
    cause_type: Mapped[str] = mapped_column(String(64))
    cause_id: Mapped[uuid.UUID]
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox.id"))
    mail_state: Mapped[MailState] = mapped_column(enum_type(MailState),
                                                  default=MailState.WAITING)
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    mail_claimed_by: Mapped[str | None] = mapped_column(String(64))
    mail_claimed_until: Mapped[datetime | None]
    mail_sent_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    # Never read (``lazy="raise"``): it tells the unit of work that the message's row is
    # inserted before the alert's when both are flushed together.
    message: Mapped[OutboxMessage] = relationship(lazy="raise")


class AlertContact(Base):
    """An e-mail address that receives the alerts of an institution or a region."""

    __tablename__ = "alert_contacts"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) <> (region IS NULL)", name="one_addressee"),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institutions.id"),
                                                             index=True)
    region: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(EncryptedText("alert_contacts.email"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
