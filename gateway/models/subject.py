"""Subjects: what the gateway knows about a student of one institution (only the birth date)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk
from gateway.models.encrypted import EncryptedText


class Subject(Base):
    """A student under its holder's subject key; the birth date drives the consent rules."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("institution_id", "subject_key"),)

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    subject_key: Mapped[str] = mapped_column(String(64))
    birth_date: Mapped[str] = mapped_column(EncryptedText("subjects.birth_date"))
    created_at: Mapped[created_at]
