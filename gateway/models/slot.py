"""Slots: concrete times a supervisor offers, one-off or expanded from a recurrence rule.

On PostgreSQL the migration adds an exclusion constraint (btree_gist) so that no two open slots
of one supervisor overlap, whatever the application does.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk


class SlotKind(enum.StrEnum):
    """What the slot is for; individual supervision has one seat."""

    INDIVIDUAL = "individual"
    GROUP = "group"
    CASE_CONFERENCE = "case_conference"


class SlotMode(enum.StrEnum):
    """Where it happens."""

    ONLINE = "online"
    ON_SITE = "on_site"


class Slot(Base):
    """A time offered by a supervisor, with a number of seats."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        Index("ix_slots_supervisor_time", "supervisor_id", "starts_at"),
    )

    id: Mapped[uuid_pk]
    supervisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervisors.id"))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    series_id: Mapped[uuid.UUID] = mapped_column()
    rrule: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[SlotKind] = mapped_column(enum_type(SlotKind))
    mode: Mapped[SlotMode] = mapped_column(enum_type(SlotMode))
    address: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    cancel_cutoff_minutes: Mapped[int]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    @property
    def duration(self) -> timedelta:
        """How long the slot lasts."""
        return self.ends_at - self.starts_at
