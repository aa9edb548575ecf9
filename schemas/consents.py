"""Consent wire schemas."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.models import DataCategory, Grantor, InstitutionKind, Purpose
from schemas.common import SUBJECT_REF, InputSchema


class ConsentCreateSchema(InputSchema):
    """A consent given by a student or guardian to the calling institution.

    Name the recipient either as one institution or as institution kinds (then any partner of
    those kinds with an active partnership for the purpose's exchange).
    """

    subject_ref = SUBJECT_REF
    subject_birth_date = fields.Date(metadata={
        "description": "The student's date of birth; it decides whose consent is needed "
                       "(guardian, both, or the student). Unknown: both."})
    grantor = fields.Enum(Grantor, by_value=True, required=True)
    purpose = fields.Enum(Purpose, by_value=True, required=True)
    recipient_institution_id = fields.UUID()
    recipient_kinds = fields.List(fields.Enum(InstitutionKind, by_value=True),
                                  validate=validate.Length(min=1))
    data_categories = fields.List(fields.Enum(DataCategory, by_value=True), required=True,
                                  validate=validate.Length(min=1))
    valid_from = fields.AwareDateTime(default_timezone=None)
    valid_until = fields.AwareDateTime(required=True)

    @validates_schema
    def _one_recipient(self, data: dict, **_kwargs) -> None:
        if ("recipient_institution_id" in data) == ("recipient_kinds" in data):
            raise ValidationError("Give exactly one of recipient_institution_id and "
                                  "recipient_kinds.", "recipient_institution_id")


class ConsentRevokeSchema(InputSchema):
    """Why a consent is withdrawn."""

    reason = fields.String(required=True, validate=validate.Length(1, 500))


class ConsentSchema(Schema):
    """A consent as its holding institution sees it (no subject reference)."""

    id = fields.UUID()
    grantor = fields.Enum(Grantor, by_value=True)
    purpose = fields.Enum(Purpose, by_value=True)
    recipient_institution_id = fields.UUID(attribute="recipient_id", allow_none=True)
    recipient_kinds = fields.List(fields.String(), allow_none=True)
    data_categories = fields.List(fields.String())
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ConsentGrantedSchema(ConsentSchema):
    """A new consent with its signed receipt."""

    receipt = fields.String(metadata={
        "description": "Compact JWS (typ consent-receipt+jwt) signed with the gateway's key "
                       "(see /.well-known/jwks.json): what, to whom, for what, until when."})
