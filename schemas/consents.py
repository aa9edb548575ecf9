"""Consent wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import Grantor, Purpose
from schemas.common import SUBJECT_REF, InputSchema


class ConsentCreateSchema(InputSchema):
    """A consent given by a student or guardian to the calling institution."""

    subject_ref = SUBJECT_REF
    grantor = fields.Enum(Grantor, by_value=True, required=True)
    purpose = fields.Enum(Purpose, by_value=True, required=True)
    recipient_institution_id = fields.UUID(required=True)
    valid_from = fields.AwareDateTime(default_timezone=None)
    valid_until = fields.AwareDateTime(required=True)


class ConsentRevokeSchema(InputSchema):
    """Why a consent is withdrawn."""

    reason = fields.String(required=True, validate=validate.Length(1, 500))


class ConsentSchema(Schema):
    """A consent as its holding institution sees it (no subject reference)."""

    id = fields.UUID()
    grantor = fields.Enum(Grantor, by_value=True)
    purpose = fields.Enum(Purpose, by_value=True)
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
