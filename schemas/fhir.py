"""FHIR query parameters (the resources themselves are ``fhir.resources`` models)."""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate

from schemas.common import InputSchema

TASK_STATUSES = ("draft", "requested", "received", "accepted", "in-progress", "completed",
                 "rejected", "cancelled", "failed")
TASK_PRIORITIES = ("routine", "urgent", "stat")
# ``_sort`` value -> the box order (gateway.services.referrals.triage.SORTS) it names
TASK_SORTS = {"_lastUpdated": "last_updated", "-_lastUpdated": "-last_updated",
              "deadline": "deadline"}
REFERENCE = validate.Regexp(r"^(Organization/)?[0-9a-fA-F-]{36}$",
                            error="must be Organization/{id}")


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
    sort = fields.String(data_key="_sort", validate=validate.OneOf(list(TASK_SORTS)))
    format = fields.String(data_key="_format")
    last_updated = LastUpdated(data_key="_lastUpdated")
