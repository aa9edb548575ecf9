"""Case wire schemas (the school's own record; never sent to partners)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import AttentionTier, CaseEntryKind, CaseStatus, Priority, ReportLevel
from schemas.common import SUBJECT_REF, InputSchema

TEAM = fields.List(fields.String(validate=validate.Length(1, 200)),
                   validate=validate.Length(1, 20))
ROLE = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="a role code, e.g. dormitory_officer")


class CaseCreateSchema(InputSchema):
    """A report about a student; a crisis case needs leader, team and plan."""

    subject_ref = SUBJECT_REF
    attention_tier = fields.Enum(AttentionTier, by_value=True, required=True)
    reported_level = fields.Enum(ReportLevel, by_value=True, required=True)
    reporter_role = fields.String(required=True, validate=ROLE)
    leader = fields.String(validate=validate.Length(1, 200))
    team = TEAM
    plan = fields.String(validate=validate.Length(1, 4000))


class CaseCareSchema(InputSchema):
    """Change tier, leader, team or plan."""

    attention_tier = fields.Enum(AttentionTier, by_value=True)
    leader = fields.String(validate=validate.Length(1, 200))
    team = TEAM
    plan = fields.String(validate=validate.Length(1, 4000))


class AssessmentCreateSchema(InputSchema):
    """An assessment of the student."""

    instrument = fields.String(required=True, validate=validate.Length(1, 32))
    score = fields.Integer(validate=validate.Range(0, 1000))
    risk_level = fields.String(required=True,
                               validate=validate.OneOf(["low", "moderate", "high", "imminent"]))
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
    attention_tier = fields.Enum(AttentionTier, by_value=True)
    reported_level = fields.Enum(ReportLevel, by_value=True)
    current_level = fields.Enum(ReportLevel, by_value=True)
    reporter_role = fields.String()
    leader = fields.String(allow_none=True)
    team = fields.List(fields.String(), attribute="team_members")
    plan = fields.String(allow_none=True)
    status = fields.Enum(CaseStatus, by_value=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class CaseDetailSchema(CaseSchema):
    """A case with its record and its referrals."""

    entries = fields.List(fields.Nested(CaseEntrySchema))
    referrals = fields.List(fields.Nested(CaseReferralSchema))

    def get_attribute(self, obj, attr, default):
        """Read case fields from ``obj.case``; entries and referrals from the detail."""
        if attr in ("entries", "referrals"):
            return getattr(obj, attr)
        return super().get_attribute(obj.case, attr, default)
