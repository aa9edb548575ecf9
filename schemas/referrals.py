"""Referral wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import Priority, ReferralReason, ReferralStatus
from schemas.common import SUBJECT_REF, InputSchema, PageQuerySchema

ICD10_MENTAL = validate.Regexp(r"^F\d{2}(\.\d{1,2})?$", error="must be an ICD-10 F-chapter code")
TRANSITION_TARGETS = (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED)


class ReferralCreateSchema(InputSchema):
    """A referral from the calling institution to a hospital or counselling agency."""

    recipient_institution_id = fields.UUID(required=True)
    subject_ref = SUBJECT_REF
    priority = fields.Enum(Priority, by_value=True, required=True)
    reason = fields.Enum(ReferralReason, by_value=True, required=True)
    summary = fields.String(required=True, validate=validate.Length(1, 4000))
    diagnosis_code = fields.String(validate=ICD10_MENTAL, metadata={
        "description": "Medical institutions only (Mental Health Law)."})


class ReferralTransitionSchema(InputSchema):
    """The recipient moves the referral on."""

    status = fields.Enum(ReferralStatus, by_value=True, required=True,
                         validate=validate.OneOf(TRANSITION_TARGETS))
    reason_code = fields.String(validate=validate.Length(1, 64))
    note = fields.String(validate=validate.Length(1, 4000))
    diagnosis_code = fields.String(validate=ICD10_MENTAL)


class ReferralListQuerySchema(PageQuerySchema):
    """Which box to list and how to filter it."""

    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "sent"]))
    status = fields.Enum(ReferralStatus, by_value=True)


class OutcomeSchema(Schema):
    """What the recipient reported on completion."""

    note = fields.String(attribute="outcome_note", allow_none=True)
    diagnosis_code = fields.String(attribute="outcome_diagnosis_code", allow_none=True)


class ReferralSchema(Schema):
    """A referral as its sender or recipient sees it."""

    id = fields.UUID()
    sender_institution_id = fields.UUID(attribute="sender_id")
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    subject_pseudonym = fields.String(attribute="recipient_pseudonym")
    consent_id = fields.UUID()
    priority = fields.Enum(Priority, by_value=True)
    reason = fields.Enum(ReferralReason, by_value=True)
    summary = fields.String()
    diagnosis_code = fields.String(allow_none=True)
    status = fields.Enum(ReferralStatus, by_value=True)
    decline_reason = fields.String(allow_none=True)
    outcome = fields.Function(
        lambda r: OutcomeSchema().dump(r) if r.status is ReferralStatus.COMPLETED else None
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferralPageSchema(Schema):
    """A page of referrals."""

    items = fields.List(fields.Nested(ReferralSchema))
    next_cursor = fields.String(allow_none=True)
