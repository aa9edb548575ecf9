"""Supervisor wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields

from gateway.models import Qualification
from schemas.common import InputSchema
from schemas.text import text, zone_name


class SupervisorCreateSchema(InputSchema):
    """A supervisor of the calling institution."""

    display_name = text(1, 100, required=True)
    qualification = fields.Enum(Qualification, by_value=True, required=True)
    credential = text(1, 200, required=True, metadata={
        "description": "e.g. 国家二级心理咨询师, 精神科主治医师"})
    time_zone = zone_name(required=True)


class SupervisorSchema(Schema):
    """A supervisor as the home institution and its supervision partners see them."""

    id = fields.UUID()
    institution_id = fields.UUID(metadata={"description": "The home institution."})
    display_name = fields.String()
    qualification = fields.Enum(Qualification, by_value=True)
    credential = fields.String()
    time_zone = fields.String()
    created_at = fields.DateTime()
