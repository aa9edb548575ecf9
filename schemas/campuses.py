"""Campus wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import InputSchema


class CampusCreateSchema(InputSchema):
    """A new campus of an institution."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    district = fields.String(required=True, validate=validate.Length(1, 64))
    region = fields.String(validate=validate.Length(1, 64),
                           metadata={"description": "Default: the institution's region."})
    green_channel_recipient_id = fields.UUID(metadata={
        "description": "The hospital (or agency) this campus's green channel goes to."})


class CampusGreenChannelSchema(InputSchema):
    """The campus's default green-channel recipient (null clears it)."""

    green_channel_recipient_id = fields.UUID(required=True, allow_none=True)


class CampusSchema(Schema):
    """A campus."""

    id = fields.UUID()
    institution_id = fields.UUID()
    name = fields.String()
    district = fields.String()
    region = fields.String()
    green_channel_recipient_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


class CampusListSchema(Schema):
    """Campuses."""

    items = fields.List(fields.Nested(CampusSchema))
