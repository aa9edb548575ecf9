"""Text fields that refuse control characters (PostgreSQL cannot store NUL; logs stay clean)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import available_timezones

from marshmallow import fields, validate

NO_CONTROL = validate.Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                             error="must not contain control characters")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
ZONES = sorted(available_timezones())
REF = validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="letters, digits and . _ : - only")


def text(low: int, high: int, **kwargs) -> fields.String:
    """A string of ``low``..``high`` characters without control characters."""
    return fields.String(validate=[validate.Length(low, high), NO_CONTROL], **kwargs)


def local_ref(description: str, **kwargs) -> fields.String:
    """An institution's own reference for a person (staff code), 1..64 safe characters."""
    return fields.String(validate=[validate.Length(1, 64), REF],
                         metadata={"description": description}, **kwargs)


def moment(**kwargs) -> fields.AwareDateTime:
    """A timezone-aware timestamp between 2000 and 2100."""
    return fields.AwareDateTime(validate=validate.Range(EARLIEST, LATEST), **kwargs)


def zone_name(**kwargs) -> fields.String:
    """An IANA time-zone name, e.g. ``Asia/Shanghai``."""
    return fields.String(validate=validate.OneOf(ZONES),
                         metadata={"example": "Asia/Shanghai"}, **kwargs)
