"""Break-glass releases: personal data sent without consent in a crisis, pending review."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk
from gateway.models.encrypted import EncryptedText


class ReviewOutcome(enum.StrEnum):
    """A coordinator's finding on a release; ``unjustified`` ends the recipient's access."""

    JUSTIFIED = "justified"
    UNJUSTIFIED = "unjustified"


class BreakGlassRelease(Base):
    """One emergency release from ``institution`` to ``recipient``, open until ``expires_at``."""

    __tablename__ = "breakglass_releases"
    __table_args__ = (
        Index("ix_breakglass_releases_institution", "institution_id", "created_at"),
        Index("ix_breakglass_releases_review", "region", "reviewed_at"),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    region: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(64))
    justification: Mapped[str] = mapped_column(EncryptedText("breakglass_releases.justification"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime]
    review_due_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[ReviewOutcome | None] = mapped_column(enum_type(ReviewOutcome))
    review_note: Mapped[str | None] = mapped_column(
        EncryptedText("breakglass_releases.review_note"))

    def open_at(self, moment: datetime) -> bool:
        """The recipient may still read: not expired, not found unjustified."""
        return moment < self.expires_at and self.outcome is not ReviewOutcome.UNJUSTIFIED

    def overdue_at(self, moment: datetime) -> bool:
        """Unreviewed past its review deadline."""
        return self.reviewed_at is None and moment >= self.review_due_at
