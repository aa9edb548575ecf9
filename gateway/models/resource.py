"""Shared training resources, who may see them, their tags and their stored documents.

Search: the migration adds a trigram index on ``search_text`` (pg_trgm) on PostgreSQL and an
FTS5 table with the trigram tokenizer, kept in step by triggers, on SQLite. Trigrams need no word
segmentation, so Chinese is found as well as English.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, created_at, enum_type, utcnow, uuid_pk

if TYPE_CHECKING:
    from gateway.models.event import TrainingEvent


class ResourceKind(enum.StrEnum):
    """What a resource is."""

    COURSE = "course"
    RECORDING = "recording"
    DOCUMENT = "document"
    LECTURE = "lecture"
    EVENT = "event"


class AudienceDimension(enum.StrEnum):
    """A way of narrowing who may see a resource: every named dimension must match."""

    PARTNERSHIP = "partnership"
    INSTITUTION_KIND = "institution_kind"
    REGION = "region"


class Document(Base):
    """File content stored once under its SHA-256 digest."""

    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]


class Resource(Base):
    """A course, recording, document, lecture or event shared by its owner institution."""

    __tablename__ = "resources"
    __table_args__ = (Index("ix_resources_page", "created_at", "id"),)

    id: Mapped[uuid_pk]
    owner_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"),
                                                            index=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_type(ResourceKind))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    search_text: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("documents.sha256"))
    document_filename: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    audience: Mapped[list[ResourceAudience]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    tags: Mapped[list[ResourceTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    document: Mapped[Document | None] = relationship(lazy="joined", innerjoin=False)
    event: Mapped[TrainingEvent | None] = relationship(lazy="selectin", viewonly=True)


class ResourceAudience(Base):
    """One allowed value of one audience dimension of a resource."""

    __tablename__ = "resource_audience"
    __table_args__ = (Index("ix_resource_audience_lookup", "resource_id", "dimension", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    dimension: Mapped[AudienceDimension] = mapped_column(enum_type(AudienceDimension))
    value: Mapped[str] = mapped_column(String(64))


class ResourceTag(Base):
    """A tag of a resource."""

    __tablename__ = "resource_tags"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
