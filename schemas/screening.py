"""Screening round wire schemas (counts only; positives are recorded on cases)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import AttentionTier
from schemas.cases import RISK_LEVELS, CaseEntrySchema, CaseSchema
from schemas.common import SUBJECT_REF, InputSchema


class ScreeningRoundCreateSchema(InputSchema):
    """A screening round: the day, the instrument, how many screened and how many positive."""

    screened_on = fields.Date(required=True)
    instrument = fields.String(required=True, validate=validate.Length(1, 32))
    screened = fields.Integer(required=True, validate=validate.Range(0, 1_000_000))
    positive = fields.Integer(required=True, validate=validate.Range(0, 1_000_000))
    campus_id = fields.UUID()


class ScreeningRoundSchema(Schema):
    """A recorded screening round."""

    id = fields.UUID()
    campus_id = fields.UUID(allow_none=True)
    screened_on = fields.Date()
    instrument = fields.String()
    screened = fields.Integer()
    positive = fields.Integer()
    created_at = fields.DateTime()


class ScreeningRoundListSchema(Schema):
    """The school's screening rounds."""

    items = fields.List(fields.Nested(ScreeningRoundSchema))


class PositiveScreenCreateSchema(InputSchema):
    """A student who screened positive in the round."""

    subject_ref = SUBJECT_REF
    score = fields.Integer(required=True, validate=validate.Range(0, 1000))
    risk_level = fields.String(required=True, validate=validate.OneOf(RISK_LEVELS))
    attention_tier = fields.Enum(AttentionTier, by_value=True, load_default=AttentionTier.KEY,
                                 validate=validate.OneOf([AttentionTier.DAILY, AttentionTier.KEY]))


class PositiveScreenSchema(Schema):
    """The case the positive screen was recorded on, and whether it was opened for it."""

    case = fields.Nested(CaseSchema)
    entry = fields.Nested(CaseEntrySchema)
    opened = fields.Boolean()
