"""FHIR query parameters (the resources themselves are ``fhir.resources`` models)."""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate

from schemas.common import InputSchema

TASK_STATUSES = ("draft", "requested", "received", "accepted", "in-progress", "completed",
                 "rejected", "cancelled", "failed")
TASK_PRIORITIES = ("routine", "urgent", "stat")
FORMATS = ("json", "application/json", "application/fhir+json")
LAST_UPDATED = (r"^(gt|ge|lt|le)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])"
                r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|[+-](0\d|1[0-3]):[0-5]\d)$")
REFERENCE = validate.Regexp(r"^(Organization/)?[0-9a-fA-F-]{36}$",
                            error="must be Organization/{{id}}")


class LastUpdated(fields.Field):
    """``_lastUpdated=gt2026-12-01T08:00:00Z``: a comparison prefix and a moment with a zone."""

    PREFIXES = ("gt", "ge", "lt", "le")

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, datetime]:
        text = value if isinstance(value, str) else ""
        prefix = text[:2]
        if prefix not in self.PREFIXES:
            raise ValidationError("must start with gt, ge, lt or le")
        moment = fields.AwareDateTime().deserialize(text[2:].replace("Z", "+00:00"))
        return prefix, moment


class TaskSearchSchema(InputSchema):
    """``GET Task?…``: the worklist of the caller's institution."""

    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    priority = fields.String(validate=validate.OneOf(TASK_PRIORITIES))
    owner = fields.String(validate=REFERENCE)
    requester = fields.String(validate=REFERENCE)
    count = fields.Integer(data_key="_count", load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(data_key="_cursor", validate=validate.Length(max=200))
    include = fields.String(data_key="_include", validate=validate.OneOf(["Task:focus"]))
    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS))
    last_updated = LastUpdated(data_key="_lastUpdated", metadata={
        "type": "string", "pattern": LAST_UPDATED,
        "description": "A comparison prefix and a moment with a zone: gt2026-12-01T08:00:00Z"})
