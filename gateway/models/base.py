"""Declarative base, naming convention and shared column types."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Annotated, ClassVar
from weakref import WeakSet

from sqlalchemy import DateTime, Engine, Enum, MetaData, String, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


_UTC_SESSIONS: WeakSet[Dialect] = WeakSet()


def sessions_in_utc(engine: Engine) -> None:
    """Note that every connection of ``engine`` sets its session's time zone to UTC, so that
    the driver already returns each timestamp as :class:`UTCDateTime` returns it (aware, in
    ``datetime.UTC``): its values are then read as they come, with no call per value."""
    _UTC_SESSIONS.add(engine.dialect)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def result_processor(self, dialect, coltype):
        if dialect in _UTC_SESSIONS:
            return None
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every persistent model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), uuid.UUID: Uuid(), str: String()}


uuid_pk = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4)]
created_at = Annotated[datetime, mapped_column(default=utcnow)]


def enum_type(enum_cls: type[enum.StrEnum]) -> Enum:
    """A portable VARCHAR column holding the values (not the names) of ``enum_cls``."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
