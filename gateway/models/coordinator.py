"""Coordinators: people who manage a region's network in the admin UI."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk
from gateway.models.encrypted import EncryptedText


class CoordinatorRole(enum.StrEnum):
    """What a coordinator may manage: their own region, or every region."""

    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Coordinator(Base):
    """A signed-in person: argon2 password hash, TOTP secret (encrypted), lock-out counters."""

    __tablename__ = "coordinators"

    id: Mapped[uuid_pk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    totp_secret: Mapped[str] = mapped_column(EncryptedText("coordinators.totp_secret"))
    totp_last_step: Mapped[int] = mapped_column(default=0)
    role: Mapped[CoordinatorRole] = mapped_column(enum_type(CoordinatorRole))
    region: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(default=0)
    last_sign_in_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    @property
    def label(self) -> str:
        """How the audit log names this coordinator."""
        return f"coordinator:{self.id}"

    @property
    def scope_region(self) -> str | None:
        """The region this coordinator is confined to; None for an admin (all regions)."""
        return None if self.role is CoordinatorRole.ADMIN else self.region
