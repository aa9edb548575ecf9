"""Campuses: the sites of an institution (a university's remote suburban campus, say)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk


class Campus(Base):
    """One site of an institution, in a district of a region; it may name the hospital its
    green channel goes to by default (the one that serves its district)."""

    __tablename__ = "campuses"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    green_channel_recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id"))
    created_at: Mapped[created_at]
