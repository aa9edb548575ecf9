"""Screening rounds: a school's mass screening with an approved instrument, as counts only."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk


class ScreeningRound(Base):
    """How many students were screened on a day with one instrument, and how many screened
    positive; no student is named here (positives are recorded on their cases)."""

    __tablename__ = "screening_rounds"
    __table_args__ = (
        CheckConstraint("screened >= 0 AND positive >= 0 AND positive <= screened",
                        name="counts"),
        Index("ix_screening_rounds_institution", "institution_id", "screened_on"),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    campus_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campuses.id"))
    screened_on: Mapped[date]
    instrument: Mapped[str] = mapped_column(String(32))
    screened: Mapped[int]
    positive: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
