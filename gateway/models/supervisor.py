"""Supervisors: qualified counsellors and psychiatrists who offer supervision to partners."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk
from gateway.models.encrypted import EncryptedText


class Qualification(enum.StrEnum):
    """What qualifies a supervisor; psychiatrists belong to a hospital."""

    QUALIFIED_COUNSELLOR = "qualified_counsellor"
    PSYCHIATRIST = "psychiatrist"


class Supervisor(Base):
    """A person at ``institution`` who publishes supervision and case-conference slots."""

    __tablename__ = "supervisors"

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    display_name: Mapped[str] = mapped_column(EncryptedText("supervisors.display_name"))
    qualification: Mapped[Qualification] = mapped_column(enum_type(Qualification))
    credential: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
