"""Handover: a case summary passed from one school to the next under a ``handover`` consent."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk
from gateway.models.encrypted import EncryptedText


class Handover(Base):
    """A minimised case summary from ``sender`` to ``recipient``; the recipient opens its case."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_recipient", "recipient_id", "created_at"),)

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(EncryptedText("handovers.summary"))  # JSON, minimised
    received_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    received_at: Mapped[datetime | None]
