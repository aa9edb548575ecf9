"""Partnership wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import Exchange, PartnershipStatus
from schemas.common import InputSchema


class PartnershipCreateSchema(InputSchema):
    """A proposed agreement between two institutions."""

    institution_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(2, 2))
    exchanges = fields.List(fields.Enum(Exchange, by_value=True), required=True,
                            validate=validate.Length(1, len(Exchange)))
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True)


class PartnershipStatusSchema(InputSchema):
    """Approve (active), suspend or end."""

    status = fields.Enum(PartnershipStatus, by_value=True, required=True)


class PartnershipSchema(Schema):
    """A partnership."""

    id = fields.UUID()
    institution_ids = fields.Function(
        lambda p: [str(p.institution_a_id), str(p.institution_b_id)])
    exchanges = fields.List(fields.String())
    status = fields.Enum(PartnershipStatus, by_value=True)
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    approved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
