"""Files attached to a referral (e.g. a risk assessment PDF), encrypted at rest."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk
from gateway.models.encrypted import EncryptedText


class Attachment(Base):
    """An attachment: content and file name encrypted, SHA-256 of the plain bytes kept."""

    __tablename__ = "referral_attachments"

    id: Mapped[uuid_pk]
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    filename: Mapped[str] = mapped_column(EncryptedText("referral_attachments.filename"))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(EncryptedText("referral_attachments.content"))  # base64
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploader_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    created_at: Mapped[created_at]
