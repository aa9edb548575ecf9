"""Availability and slot wire schemas."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from gateway.models import SlotKind, SlotMode
from schemas.common import InputSchema
from schemas.text import moment, text


class AvailabilitySchema(InputSchema):
    """One-off or recurring availability, in the supervisor's own time zone."""

    kind = fields.Enum(SlotKind, by_value=True, required=True)
    mode = fields.Enum(SlotMode, by_value=True, required=True)
    capacity = fields.Integer(required=True, validate=validate.Range(1, 200))
    local_start = fields.NaiveDateTime(required=True, validate=validate.Range(
        datetime(2000, 1, 1), datetime(2100, 1, 1)), metadata={
        "description": "Wall-clock start in the supervisor's time zone, e.g. 2026-12-01T14:00"})
    duration_minutes = fields.Integer(required=True, validate=validate.Range(15, 480))
    cancel_cutoff_hours = fields.Integer(load_default=24, validate=validate.Range(0, 168))
    rrule = fields.String(validate=[validate.Length(1, 200),
                                    validate.Regexp(r"^[A-Z0-9=;,:+-]+$")], metadata={
        "description": "RFC 5545 RRULE value, bounded by COUNT or UNTIL, e.g. "
                       "FREQ=WEEKLY;BYDAY=TU;COUNT=8"})
    address = text(1, 300, metadata={"description": "Where an on-site slot takes place."})


class SlotQuerySchema(InputSchema):
    """A window of time."""

    start = moment(data_key="from")
    end = moment(data_key="until")


def _local_start(slot) -> str:
    return slot.starts_at.astimezone(ZoneInfo(slot.time_zone)).isoformat()


class SlotSchema(Schema):
    """A slot with its free seats."""

    id = fields.UUID()
    supervisor_id = fields.UUID()
    host_institution_id = fields.UUID(attribute="institution_id")
    series_id = fields.UUID()
    rrule = fields.String(allow_none=True)
    kind = fields.Enum(SlotKind, by_value=True)
    mode = fields.Enum(SlotMode, by_value=True)
    address = fields.String(allow_none=True)
    capacity = fields.Integer()
    seats_taken = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    time_zone = fields.String()
    local_start = fields.Function(_local_start, metadata={"type": "string"})
    cancel_cutoff_minutes = fields.Integer()
