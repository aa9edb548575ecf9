"""Wire schemas for delivery endpoints, SLA policies and dead letters (coordinators)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import OutboxStatus
from schemas.common import InputSchema


class EndpointSetSchema(InputSchema):
    """Push endpoint of an institution or a region's coordinators."""

    format = fields.String(required=True, validate=validate.Length(1, 32),
                           metadata={"description": "An adapter format: fhir_r4 or webhook."})
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=500))


class EndpointSchema(Schema):
    """An endpoint; the signing secret appears once, when it is set."""

    id = fields.UUID()
    institution_id = fields.UUID(allow_none=True)
    region = fields.String(allow_none=True)
    format = fields.String()
    url = fields.String()
    secret = fields.String(metadata={"description": "Shown once; stored encrypted."})


class SlaPolicySetSchema(InputSchema):
    """A recipient's green-channel SLA and on-call contact."""

    receipt_minutes = fields.Integer(load_default=15, validate=validate.Range(1, 24 * 60))
    decision_minutes = fields.Integer(load_default=120, validate=validate.Range(1, 7 * 24 * 60))
    on_call_contact = fields.String(validate=validate.Length(1, 200))


class SlaPolicySchema(Schema):
    """A recipient's SLA policy."""

    institution_id = fields.UUID()
    receipt_minutes = fields.Integer()
    decision_minutes = fields.Integer()
    on_call_contact = fields.String(allow_none=True)


class DeadLetterQuerySchema(InputSchema):
    """Filter dead letters by region."""

    region = fields.String(validate=validate.Length(1, 64))


class OutboxMessageSchema(Schema):
    """An outbox message's envelope (never its payload)."""

    id = fields.UUID()
    topic = fields.String()
    recipient_institution_id = fields.UUID(allow_none=True)
    recipient_region = fields.String(allow_none=True)
    status = fields.Enum(OutboxStatus, by_value=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    idempotency_key = fields.String()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime()
