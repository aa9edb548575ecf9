"""The partner directory: what an institution offers and when its on-call line is staffed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class Service(enum.StrEnum):
    """A service an institution offers to the institutions that refer to it."""

    EMERGENCY_ASSESSMENT = "emergency_assessment"
    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"
    CRISIS_INTERVENTION = "crisis_intervention"
    COUNSELLING = "counselling"
    PSYCHIATRIC_ASSESSMENT = "psychiatric_assessment"
    FAMILY_THERAPY = "family_therapy"
    ONLINE_CONSULTATION = "online_consultation"


class DirectoryEntry(Base):
    """An institution's directory entry (no personal data: services and hours)."""

    __tablename__ = "directory_entries"

    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"),
                                                      primary_key=True)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    on_call_hours: Mapped[str | None] = mapped_column(String(100))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
