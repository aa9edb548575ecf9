"""Handover wire schemas: a case summary from one school to the next."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PERSONAL, InputSchema
from schemas.referrals import (
    ContactInSchema,
    GuardianContactInSchema,
    IdentityInSchema,
    RiskAssessmentInSchema,
    SchoolRecordInSchema,
)


class HandoverCreateSchema(InputSchema):
    """The summary's sections, each of a data category; only consented categories leave."""

    recipient_institution_id = fields.UUID(required=True)
    identity = fields.Nested(IdentityInSchema)
    contact = fields.Nested(ContactInSchema)
    guardian_contact = fields.Nested(GuardianContactInSchema)
    risk_assessment = fields.Nested(RiskAssessmentInSchema)
    school_record = fields.Nested(SchoolRecordInSchema)
    summary = fields.String(validate=validate.Length(1, 4000),
                            metadata={"description": "Category clinical_notes."})


class HandoverSentSchema(Schema):
    """What the sending school is told: which categories left."""

    id = fields.UUID()
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    data_categories = fields.List(fields.String())
    created_at = fields.DateTime()


class HandoverListItemSchema(Schema):
    """A handover in the receiving school's inbox (the summary is read one by one)."""

    id = fields.UUID()
    sender_institution_id = fields.UUID(attribute="sender_id")
    created_at = fields.DateTime()
    received_case_id = fields.UUID(allow_none=True)


class HandoverListSchema(Schema):
    """Handovers received."""

    items = fields.List(fields.Nested(HandoverListItemSchema))


class HandoverContentSchema(Schema):
    """The sections released, as the sender wrote them; absent sections were not consented."""

    identity = fields.Dict(metadata=PERSONAL)
    contact = fields.Dict(metadata=PERSONAL)
    guardian_contact = fields.Dict(metadata=PERSONAL)
    risk_assessment = fields.Dict(metadata=PERSONAL)
    school_record = fields.Dict(metadata=PERSONAL)
    summary = fields.String(metadata=PERSONAL)


class HandoverSchema(Schema):
    """A handover as the receiving school may read it now: only consented categories."""

    id = fields.UUID(attribute="handover.id")
    sender_institution_id = fields.UUID(attribute="handover.sender_id")
    created_at = fields.DateTime(attribute="handover.created_at")
    received_case_id = fields.UUID(attribute="handover.received_case_id", allow_none=True)
    data_categories = fields.List(fields.String(), attribute="categories")
    content = fields.Nested(HandoverContentSchema, attribute="summary")
