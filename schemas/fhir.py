"""FHIR query parameters (the resources themselves are ``fhir.resources`` models)."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import InputSchema

TASK_STATUSES = ("draft", "requested", "received", "accepted", "in-progress", "completed",
                 "rejected", "cancelled", "failed")
TASK_PRIORITIES = ("routine", "urgent", "stat")
REFERENCE = validate.Regexp(r"^(Organization/)?[0-9a-fA-F-]{36}$",
                            error="must be Organization/{id}")


class TaskSearchSchema(InputSchema):
    """``GET Task?…``: the worklist of the caller's institution."""

    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    priority = fields.String(validate=validate.OneOf(TASK_PRIORITIES))
    owner = fields.String(validate=REFERENCE)
    requester = fields.String(validate=REFERENCE)
    count = fields.Integer(data_key="_count", load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(data_key="_cursor", validate=validate.Length(max=200))
    include = fields.String(data_key="_include", validate=validate.OneOf(["Task:focus"]))
    format = fields.String(data_key="_format")
