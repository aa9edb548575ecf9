"""Referral wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import (
    BusinessStatus,
    DeclineReason,
    Priority,
    ReferralReason,
    ReferralStatus,
)
from schemas.common import PERSONAL, SUBJECT_REF, InputSchema, PageQuerySchema

ICD10_MENTAL = validate.Regexp(r"^F\d{2}(\.\d{1,2})?$", error="must be an ICD-10 F-chapter code")
TRANSITION_TARGETS = tuple(s for s in ReferralStatus
                           if s not in (ReferralStatus.DRAFT, ReferralStatus.EXPIRED))
PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{4,30}$", error="must be a phone number")
NAME = validate.Length(1, 100)
RISK_LEVELS = ("low", "moderate", "high", "imminent")


class IdentityInSchema(InputSchema):
    """Category ``identity``."""

    name = fields.String(required=True, validate=NAME)
    date_of_birth = fields.Date(required=True)


class ContactInSchema(InputSchema):
    """Category ``contact``."""

    phone = fields.String(required=True, validate=PHONE)


class GuardianContactInSchema(InputSchema):
    """Category ``guardian_contact``."""

    name = fields.String(required=True, validate=NAME)
    relationship = fields.String(validate=validate.Length(1, 32))
    phone = fields.String(required=True, validate=PHONE)


class RiskAssessmentInSchema(InputSchema):
    """Category ``risk_assessment``."""

    level = fields.String(required=True, validate=validate.OneOf(RISK_LEVELS))
    notes = fields.String(validate=validate.Length(1, 4000))


class SchoolRecordInSchema(InputSchema):
    """Category ``school_record``."""

    grade = fields.String(validate=validate.Length(1, 64))
    notes = fields.String(validate=validate.Length(1, 4000))


class ReferralCreateSchema(InputSchema):
    """A referral from the calling institution to a hospital or counselling agency."""

    recipient_institution_id = fields.UUID(metadata={
        "description": "Required, except for a green-channel referral from a campus (campus_id, "
                       "or the case's campus) that has a default green-channel recipient."})
    subject_ref = SUBJECT_REF
    priority = fields.Enum(Priority, by_value=True, required=True)
    reason = fields.Enum(ReferralReason, by_value=True, required=True)
    summary = fields.String(validate=validate.Length(1, 4000),
                            metadata={"description": "Category clinical_notes."})
    diagnosis_code = fields.String(validate=ICD10_MENTAL, metadata={
        "description": "Category clinical_notes. Medical institutions only (Mental Health Law)."})
    identity = fields.Nested(IdentityInSchema)
    contact = fields.Nested(ContactInSchema)
    guardian_contact = fields.Nested(GuardianContactInSchema)
    risk_assessment = fields.Nested(RiskAssessmentInSchema)
    school_record = fields.Nested(SchoolRecordInSchema)
    emergency_justification = fields.String(validate=validate.Length(20, 2000), metadata={
        "description": "Break-glass (scope referrals:emergency, green channel only): why life "
                       "is at imminent risk and consent cannot be obtained in time."})
    case_id = fields.UUID(metadata={"description": "The sender's case this referral is made from."})
    campus_id = fields.UUID(metadata={
        "description": "The sender's campus (default: the campus of the case, if any)."})
    draft = fields.Boolean(load_default=False,
                           metadata={"description": "Keep as a draft; submit it later."})


class OnwardReferralSchema(ReferralCreateSchema):
    """The recipient refers the student onward (e.g. to a psychiatric hospital), as a new
    referral of its own: its own reference for the student and its own consent for the new
    recipient."""

    class Meta(ReferralCreateSchema.Meta):
        exclude = ("case_id", "campus_id", "draft")

    recipient_institution_id = fields.UUID(required=True)


class ChainLinkSchema(Schema):
    """One onward referral of a chain (no personal data)."""

    id = fields.UUID()
    part_of_id = fields.UUID(metadata={"description": "The referral it was made from."})
    sender_institution_id = fields.UUID(attribute="sender_id")
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    priority = fields.Enum(Priority, by_value=True)
    status = fields.Enum(ReferralStatus, by_value=True)
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)


class ReferralTransitionSchema(InputSchema):
    """The recipient moves the referral on; the sender submits a draft or withdraws."""

    status = fields.Enum(ReferralStatus, by_value=True, required=True,
                         validate=validate.OneOf(TRANSITION_TARGETS))
    reason_code = fields.Enum(DeclineReason, by_value=True,
                              metadata={"description": "Required when declining."})
    note = fields.String(validate=validate.Length(1, 4000))
    diagnosis_code = fields.String(validate=ICD10_MENTAL)
    business_status = fields.Enum(BusinessStatus, by_value=True)


class ReferralUpdateSchema(InputSchema):
    """Interim feedback from the recipient (HL7 BSeR-like business status and/or a message)."""

    business_status = fields.Enum(BusinessStatus, by_value=True)
    note = fields.String(validate=validate.Length(1, 4000))
    appointment_at = fields.AwareDateTime(
        metadata={"description": "With business_status event_scheduled."})


class ReferralEventSchema(Schema):
    """One step in a referral's history."""

    id = fields.UUID()
    recorded_at = fields.DateTime()
    actor = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    business_status = fields.String(allow_none=True)
    appointment_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)


class ReferralMetricsSchema(Schema):
    """Seconds from submission to each milestone (null until reached)."""

    referral_id = fields.UUID()
    submitted_at = fields.DateTime(allow_none=True)
    time_to_receipt = fields.Float(allow_none=True)
    time_to_decision = fields.Float(allow_none=True)
    time_to_first_appointment = fields.Float(allow_none=True)
    time_to_completion = fields.Float(allow_none=True)
    receipt_due_at = fields.DateTime(allow_none=True)
    decision_due_at = fields.DateTime(allow_none=True)


class ReferralListQuerySchema(PageQuerySchema):
    """Which box to list and how to filter it."""

    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "sent"]))
    status = fields.Enum(ReferralStatus, by_value=True)
    priority = fields.List(fields.Enum(Priority, by_value=True), metadata={
        "description": "Only these priorities (repeat the parameter for several)."})
    due_before = fields.AwareDateTime(metadata={
        "description": "Only referrals whose next deadline (due_at) falls before this time."})
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "deadline"]),
                         metadata={"description": "newest first, or most urgent deadline first "
                                                  "(referrals without one last)."})
    risk_level = fields.String(validate=validate.OneOf(RISK_LEVELS), metadata={
        "description": "Matches only referrals whose risk assessment the caller may see now. "
                       "Filtered after the limit: a page examines at most five times "
                       "``limit`` referrals (at most 200, at least ``limit``) in the page's "
                       "order and returns the matches among them, so it may hold fewer than "
                       "``limit`` items, even none, while ``next_cursor`` goes on after the "
                       "last one examined; page until ``next_cursor`` is null. ``total`` and "
                       "``counts_by_priority`` are then null."})
    with_total = fields.Boolean(data_key="total", load_default=False, metadata={
        "description": "Count the matches of every page too (``total``); off by default, as "
                       "counting grows with the box while a page does not. Not available "
                       "with ``risk_level`` (null)."})


class OutcomeSchema(Schema):
    """What the recipient reported on completion."""

    note = fields.String(allow_none=True)
    diagnosis_code = fields.String(allow_none=True)


class IdentitySchema(Schema):
    """Category ``identity`` as released."""

    name = fields.String()
    date_of_birth = fields.String(metadata={"format": "date"})


class AccessSchema(Schema):
    """On what basis the caller sees personal data, and until when (break-glass)."""

    basis = fields.String(metadata={"description": "holder | consent | breakglass | none"})
    expires_at = fields.DateTime()


class CodingSchema(Schema):
    """An HL7 security label (FHIR Coding)."""

    system = fields.String()
    code = fields.String()
    display = fields.String()


class ReferralSchema(Schema):
    """A referral as its sender or recipient sees it (a view built by the referrals service).

    Personal fields appear only for the data categories released to the caller; the others are
    absent, not null.
    """

    id = fields.UUID()
    sender_institution_id = fields.UUID(attribute="sender_id")
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    subject_pseudonym = fields.String(attribute="recipient_pseudonym")
    consent_id = fields.UUID(allow_none=True)
    breakglass_id = fields.UUID(allow_none=True)
    priority = fields.Enum(Priority, by_value=True)
    reason = fields.Enum(ReferralReason, by_value=True)
    status = fields.Enum(ReferralStatus, by_value=True)
    business_status = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    receipt_due_at = fields.DateTime(allow_none=True)
    decision_due_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "The next deadline the recipient must meet (receipt or expiry while "
                       "submitted, the green-channel decision while received); the inbox's "
                       "sort=deadline orders by it."})
    identity = fields.Nested(IdentitySchema, metadata=PERSONAL)
    contact = fields.Nested(ContactInSchema, metadata=PERSONAL)
    guardian_contact = fields.Nested(GuardianContactInSchema, metadata=PERSONAL)
    risk_assessment = fields.Nested(RiskAssessmentInSchema, metadata=PERSONAL)
    school_record = fields.Nested(SchoolRecordInSchema, metadata=PERSONAL)
    summary = fields.String(metadata=PERSONAL)
    diagnosis_code = fields.String(metadata=PERSONAL)
    outcome = fields.Nested(OutcomeSchema, metadata=PERSONAL)
    released_categories = fields.List(fields.String())
    access = fields.Nested(AccessSchema)
    security_labels = fields.List(fields.Nested(CodingSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "Raised by every change (FHIR versionId)."})
    part_of_id = fields.UUID(allow_none=True, metadata={
        "description": "The referral this onward referral was made from (FHIR Task.partOf)."})
    onward_referrals = fields.List(fields.Nested(ChainLinkSchema), metadata={
        "description": "In a single read: the onward referrals made from this one and from "
                       "those (oldest first), so the first sender sees the chain."})


class ReferralPageSchema(Schema):
    """A page of referrals."""

    items = fields.List(fields.Nested(ReferralSchema))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "The next page's cursor; null on the last page. With ``risk_level`` "
                       "a page may be short, even empty, and still have one."})
    total = fields.Integer(allow_none=True, metadata={
        "description": "Matches the caller may see, all pages; null unless ``total=true``, "
                       "and always null with ``risk_level``."})
    counts_by_priority = fields.Dict(
        keys=fields.String(), values=fields.Integer(), allow_none=True, metadata={
            "description": "The matches of all pages by priority (they add up to total); "
                           "null like total."})
