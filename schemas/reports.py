"""Regional report wire schemas: the same suppressed tables as the admin UI's reports page."""

from __future__ import annotations

from marshmallow import Schema, fields

from gateway.services.coordination.reports import PeriodKind
from schemas.common import InputSchema


class ReportQuerySchema(InputSchema):
    """Which period: this week, a month (of ``first``, else this one), this term or custom."""

    period = fields.Enum(PeriodKind, by_value=True, load_default=PeriodKind.MONTH)
    first = fields.Date(metadata={"description": "First local day (a month: any day in it)."})
    last = fields.Date(metadata={"description": "Last local day, included (custom periods)."})


class PeriodSchema(Schema):
    """The period in local days of the region's time zone, and its bounds in UTC."""

    kind = fields.Enum(PeriodKind, by_value=True)
    first = fields.Date()
    last = fields.Date()
    time_zone = fields.String(attribute="zone")
    start = fields.AwareDateTime()
    end = fields.AwareDateTime(metadata={"description": "The first instant after the period."})


class TableSchema(Schema):
    """One table; a count of 1 to 4 is the string "<5", a rate on fewer than 5 is null."""

    key = fields.String()
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()))


class ReportSchema(Schema):
    """A region's report: counts, rates, hours and institution names; nothing personal."""

    region = fields.String()
    period = fields.Nested(PeriodSchema)
    generated_at = fields.AwareDateTime()
    tables = fields.Method("_tables")

    def _tables(self, report) -> list[dict]:
        return TableSchema(many=True).dump([t.as_dict() for t in report.tables])
