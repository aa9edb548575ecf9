"""Institution wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import InstitutionKind
from schemas.common import InputSchema


class InstitutionCreateSchema(InputSchema):
    """A new member of the network."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.Enum(InstitutionKind, by_value=True, required=True)
    region = fields.String(required=True, validate=validate.Length(1, 64))
    country = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "ISO 3166-1 alpha-2 country code"},
    )


class InstitutionSchema(Schema):
    """An institution as shown to network administrators and partners."""

    id = fields.UUID()
    name = fields.String()
    kind = fields.Enum(InstitutionKind, by_value=True)
    region = fields.String()
    country = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
