"""Case wire schemas (the school's own record; never sent to partners)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import (
    CLOSURE_REASONS,
    RETURN_OUTCOMES,
    TIER_REASONS,
    AttentionTier,
    CaseEntryKind,
    CaseStatus,
    Priority,
    ReportLevel,
)
from gateway.services.cases.risk_factors import RISK_FACTORS
from schemas.common import SUBJECT_REF, InputSchema, PageQuerySchema

TEAM = fields.List(fields.String(validate=validate.Length(1, 200)),
                   validate=validate.Length(1, 20))
ROLE = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="a role code, e.g. dormitory_officer")
TIER_REASON = fields.String(validate=validate.OneOf(TIER_REASONS), metadata={
    "description": "Why the tier changes (required when it does); audited as this code."})
RISK_LEVELS = ("low", "moderate", "high", "imminent")
RISK_FACTOR = fields.String(validate=validate.OneOf(list(RISK_FACTORS)))
RISK_FACTOR_LIST = fields.List(RISK_FACTOR, validate=validate.Length(0, len(RISK_FACTORS)),
                               metadata={"description": "Risk factor codes (GET …/risk-factors); "
                                                        "stored encrypted."})


class CaseCreateSchema(InputSchema):
    """A report about a student; a crisis case needs leader, team and plan."""

    subject_ref = SUBJECT_REF
    campus_id = fields.UUID(metadata={"description": "The school's campus (GET /api/v1/campuses)."})
    attention_tier = fields.Enum(AttentionTier, by_value=True, required=True)
    reported_level = fields.Enum(ReportLevel, by_value=True, required=True)
    reporter_role = fields.String(required=True, validate=ROLE)
    leader = fields.String(validate=validate.Length(1, 200))
    team = TEAM
    plan = fields.String(validate=validate.Length(1, 4000))
    risk_factors = RISK_FACTOR_LIST


class CaseCareSchema(InputSchema):
    """Change tier, leader, team or plan."""

    attention_tier = fields.Enum(AttentionTier, by_value=True)
    tier_reason = TIER_REASON
    leader = fields.String(validate=validate.Length(1, 200))
    team = TEAM
    plan = fields.String(validate=validate.Length(1, 4000))
    risk_factors = RISK_FACTOR_LIST


class AssessmentCreateSchema(InputSchema):
    """An assessment of the student."""

    instrument = fields.String(required=True, validate=validate.Length(1, 32))
    score = fields.Integer(validate=validate.Range(0, 1000))
    risk_level = fields.String(required=True, validate=validate.OneOf(RISK_LEVELS))
    note = fields.String(validate=validate.Length(1, 4000))


class FollowUpCreateSchema(InputSchema):
    """A follow-up visit (回访)."""

    note = fields.String(required=True, validate=validate.Length(1, 4000))
    visited_at = fields.AwareDateTime()
    referral_id = fields.UUID()


class CaseEntrySchema(Schema):
    """An entry of the case's record."""

    id = fields.UUID()
    kind = fields.Enum(CaseEntryKind, by_value=True)
    recorded_at = fields.DateTime()
    recorded_by = fields.String()
    level = fields.Enum(ReportLevel, by_value=True, allow_none=True)
    tier = fields.Enum(AttentionTier, by_value=True, allow_none=True)
    instrument = fields.String(allow_none=True)
    score = fields.Integer(allow_none=True)
    risk_level = fields.String(allow_none=True)
    referral_id = fields.UUID(allow_none=True)
    referral_status = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class CaseReferralSchema(Schema):
    """A referral made from the case: where it stands (its content is read on the referral)."""

    id = fields.UUID()
    recipient_institution_id = fields.UUID(attribute="recipient_id")
    priority = fields.Enum(Priority, by_value=True)
    status = fields.String(attribute="status.value")
    business_status = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CaseSchema(Schema):
    """A case as its school sees it."""

    id = fields.UUID()
    campus_id = fields.UUID(allow_none=True)
    attention_tier = fields.Enum(AttentionTier, by_value=True)
    reported_level = fields.Enum(ReportLevel, by_value=True)
    current_level = fields.Enum(ReportLevel, by_value=True)
    reporter_role = fields.String()
    leader = fields.String(allow_none=True)
    team = fields.List(fields.String(), attribute="team_members")
    plan = fields.String(allow_none=True)
    status = fields.Enum(CaseStatus, by_value=True)
    risk_level = fields.String(allow_none=True)
    risk_factors = fields.List(fields.String(), attribute="risk_factor_codes")
    next_review_at = fields.DateTime(allow_none=True)
    next_follow_up_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closure_reason = fields.String(allow_none=True)


class CaseDetailSchema(CaseSchema):
    """A case with its record and its referrals."""

    entries = fields.List(fields.Nested(CaseEntrySchema))
    referrals = fields.List(fields.Nested(CaseReferralSchema))

    def get_attribute(self, obj, attr, default):
        """Read case fields from ``obj.case``; entries and referrals from the detail."""
        if attr in ("entries", "referrals"):
            return getattr(obj, attr)
        return super().get_attribute(obj.case, attr, default)


class LedgerQuerySchema(PageQuerySchema):
    """Ledger filters (all optional)."""

    attention_tier = fields.Enum(AttentionTier, by_value=True)
    campus_id = fields.UUID()
    current_level = fields.Enum(ReportLevel, by_value=True,
                                metadata={"description": "The reporting level."})
    status = fields.Enum(CaseStatus, by_value=True)
    risk_level = fields.String(validate=validate.OneOf(RISK_LEVELS),
                               metadata={"description": "Of the latest assessment."})
    risk_factor = fields.String(validate=validate.OneOf(list(RISK_FACTORS)),
                                metadata={"description": "Cases carrying this risk factor."})
    review_due_before = fields.AwareDateTime(metadata={
        "description": "Cases whose next review or planned follow-up falls due before this."})
    opened_after = fields.AwareDateTime()
    opened_before = fields.AwareDateTime()
    closed_after = fields.AwareDateTime()
    closed_before = fields.AwareDateTime()


class LedgerPageSchema(Schema):
    """A page of the ledger, with the number of cases of each tier matching the filters."""

    items = fields.List(fields.Nested(CaseSchema))
    next_cursor = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class OverdueQuerySchema(InputSchema):
    """The moment reviews are overdue at (default: now)."""

    as_of = fields.AwareDateTime()


class OverdueSchema(Schema):
    """Open cases whose review or planned follow-up is overdue, most overdue first."""

    items = fields.List(fields.Nested(CaseSchema))


class ReviewCreateSchema(InputSchema):
    """A review (研判): the tier after it, why it changed if it did, an encrypted note."""

    attention_tier = fields.Enum(AttentionTier, by_value=True, required=True)
    tier_reason = TIER_REASON
    note = fields.String(validate=validate.Length(1, 4000))


class ReviewSchema(Schema):
    """A recorded review: kept, raised or lowered, and when the next one falls due."""

    entry = fields.Nested(CaseEntrySchema)
    outcome = fields.String()
    next_review_at = fields.DateTime(attribute="case.next_review_at")


class ClosureSchema(InputSchema):
    """Closing a case; a reason is needed to close before its planned follow-ups are done."""

    reason = fields.String(validate=validate.OneOf(CLOSURE_REASONS))


class ReturnToSchoolSchema(InputSchema):
    """The school's return-to-school assessment (复学评估)."""

    outcome = fields.String(required=True, validate=validate.OneOf(RETURN_OUTCOMES))
    note = fields.String(validate=validate.Length(1, 4000))


class AftercarePlanSchema(InputSchema):
    """The school's aftercare plan (善后)."""

    plan = fields.String(required=True, validate=validate.Length(1, 4000))


class RiskFactorSchema(Schema):
    """A risk factor code and its labels."""

    code = fields.String()
    zh = fields.String()
    en = fields.String()


class RiskFactorListSchema(Schema):
    """The fixed list of risk factor codes."""

    items = fields.List(fields.Nested(RiskFactorSchema))


class KeyPeriodQuerySchema(InputSchema):
    """The day to look from (default: today)."""

    on = fields.Date()


class KeyPeriodSchema(Schema):
    """A key period (重点时段)."""

    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class KeyPeriodDueSchema(Schema):
    """The key period (current or next) and the open cases due by its end."""

    period = fields.Nested(KeyPeriodSchema, allow_none=True)
    items = fields.List(fields.Nested(CaseSchema))
