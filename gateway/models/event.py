"""Training events (a resource of kind ``event``): schedule, capacity, registration, attendance."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk
from gateway.models.encrypted import EncryptedText


class ParticipantRole(enum.StrEnum):
    """Who is trained: the seeds name counsellors, class committee members, dormitory officers."""

    COUNSELLOR = "counsellor"
    CLASS_COMMITTEE_MEMBER = "class_committee_member"
    DORMITORY_OFFICER = "dormitory_officer"
    TEACHER = "teacher"
    OTHER = "other"


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands."""

    REGISTERED = "registered"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    ABSENT = "absent"


class TrainingEvent(Base):
    """When and where an event resource happens, and how many may come."""

    __tablename__ = "training_events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                                   primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int]
    location: Mapped[str | None] = mapped_column(String(300))
    online: Mapped[bool] = mapped_column(default=False)

    @property
    def duration(self) -> timedelta:
        """How long the event lasts."""
        return self.ends_at - self.starts_at


class EventRegistration(Base):
    """A person of a partner institution registered for an event."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "participant_key"),)

    id: Mapped[uuid_pk]
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_events.resource_id", ondelete="CASCADE"))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    participant_key: Mapped[str] = mapped_column(String(64))
    participant_ref: Mapped[str] = mapped_column(
        EncryptedText("event_registrations.participant_ref"))
    role: Mapped[ParticipantRole] = mapped_column(enum_type(ParticipantRole))
    status: Mapped[RegistrationStatus] = mapped_column(enum_type(RegistrationStatus))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
