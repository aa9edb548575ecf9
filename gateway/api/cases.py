"""Cases at a school: the ledger, report, escalate, assess, review, care team and plan,
return to school and aftercare, follow-up, close."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.case_rules import current_case_rules
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.models import utcnow
from gateway.privacy import current_policy
from gateway.services.cases import casework, handback, handover, ledger, reviews, risk_factors
from gateway.services.privacy import subjects
from schemas.cases import (
    AftercarePlanSchema,
    AssessmentCreateSchema,
    CaseCareSchema,
    CaseCreateSchema,
    CaseDetailSchema,
    CaseEntrySchema,
    CaseSchema,
    ClosureSchema,
    FollowUpCreateSchema,
    KeyPeriodDueSchema,
    KeyPeriodQuerySchema,
    LedgerPageSchema,
    LedgerQuerySchema,
    OverdueQuerySchema,
    OverdueSchema,
    ReturnToSchoolSchema,
    ReviewCreateSchema,
    ReviewSchema,
    RiskFactorListSchema,
)
from schemas.handbacks import HandBackListSchema
from schemas.handovers import HandoverCreateSchema, HandoverSentSchema

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                description="A school's cases: one student, one leader, one team, one plan.")


def new_case(body: dict) -> casework.NewCase:
    """A :class:`casework.NewCase` from a validated case-creation body (the ref hashed at once)."""
    key = subjects.subject_key(current_keyring().pseudonyms, current_actor().institution_id,
                               body.pop("subject_ref"))
    return casework.NewCase(subject_key=key, reported_level=body.pop("reported_level"),
                            reporter_role=body.pop("reporter_role"),
                            campus_id=body.pop("campus_id", None), care=casework.Care(**body))


@blp.route("")
class Cases(MethodView):
    """The ledger (台账), and opening cases."""

    @authenticated("cases:read")
    @blp.arguments(LedgerQuerySchema, location="query")
    @blp.response(200, LedgerPageSchema)
    def get(self, query: dict):
        """List the school's own cases, newest first, with filters and counts by tier."""
        cursor, limit = query.pop("cursor", None), query.pop("limit")
        return ledger.list_cases(db_session(), current_actor(), ledger.LedgerFilter(**query),
                                 cursor=cursor, limit=limit)

    @authenticated("cases:write")
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    def post(self, body: dict):
        """Record a report; a crisis goes to the school centre at once.

        A student has one open case per school: a second one is a 409 naming the open case."""
        return casework.open_case(db_session(), current_actor(), new_case(body),
                                  rules=current_case_rules())


@blp.route("/risk-factors")
class RiskFactors(MethodView):
    """The fixed list of risk factor codes."""

    @authenticated("cases:read")
    @blp.response(200, RiskFactorListSchema)
    def get(self):
        """Risk factor codes with their Chinese and English labels."""
        return {"items": [{"code": code, "zh": zh, "en": en}
                          for code, (zh, en) in risk_factors.RISK_FACTORS.items()]}


@blp.route("/key-period")
class KeyPeriodDue(MethodView):
    """Which open cases fall due in the key period."""

    @authenticated("cases:read")
    @blp.arguments(KeyPeriodQuerySchema, location="query")
    @blp.response(200, KeyPeriodDueSchema)
    def get(self, query: dict):
        """The current (or next) key period of the school's region and the cases due in it."""
        return ledger.due_in_key_period(db_session(), current_actor(), rules=current_case_rules(),
                                        today=query.get("on") or utcnow().date())


@blp.route("/overdue")
class OverdueReviews(MethodView):
    """Reviews and planned follow-ups that are overdue."""

    @authenticated("cases:read")
    @blp.arguments(OverdueQuerySchema, location="query")
    @blp.response(200, OverdueSchema)
    def get(self, query: dict):
        """Open cases whose review or planned follow-up is overdue (as of now by default)."""
        return {"items": ledger.overdue(db_session(), current_actor(),
                                        now=query.get("as_of") or utcnow())}


@blp.route("/<uuid:case_id>")
class CaseItem(MethodView):
    """One case."""

    @authenticated("cases:read")
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id: uuid.UUID):
        """Read a case with its entries and referrals."""
        return casework.read(db_session(), current_actor(), case_id)

    @authenticated("cases:write")
    @blp.arguments(CaseCareSchema)
    @blp.response(200, CaseSchema)
    def patch(self, body: dict, case_id: uuid.UUID):
        """Change tier (with its reason), leader, team or plan."""
        return casework.change_care(db_session(), current_actor(), case_id,
                                    casework.Care(**body), rules=current_case_rules())


@blp.route("/<uuid:case_id>/escalations")
class CaseEscalations(MethodView):
    """Reports rising level by level."""

    @authenticated("cases:write")
    @blp.response(200, CaseSchema)
    def post(self, case_id: uuid.UUID):
        """Report the case one level up."""
        return casework.escalate(db_session(), current_actor(), case_id)


@blp.route("/<uuid:case_id>/assessments")
class CaseAssessments(MethodView):
    """Assessments of the student."""

    @authenticated("cases:write")
    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, CaseEntrySchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Record an assessment."""
        return casework.assess(db_session(), current_actor(), case_id,
                               score=body.pop("score", None), note=body.pop("note", None),
                               rules=current_case_rules(), **body)


@blp.route("/<uuid:case_id>/reviews")
class CaseReviews(MethodView):
    """Reviews (研判)."""

    @authenticated("cases:write")
    @blp.arguments(ReviewCreateSchema)
    @blp.response(201, ReviewSchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Record a review: tier kept, raised or lowered; the next review is scheduled."""
        return reviews.record(db_session(), current_actor(), case_id,
                              tier=body["attention_tier"], note=body.get("note"),
                              tier_reason=body.get("tier_reason"), rules=current_case_rules())


@blp.route("/<uuid:case_id>/hand-backs")
class CaseHandBacks(MethodView):
    """Hand-backs from hospitals (discharge advice under a follow_up consent)."""

    @authenticated("cases:read")
    @blp.response(200, HandBackListSchema)
    def get(self, case_id: uuid.UUID):
        """The case's hand-backs with their planned follow-ups."""
        return {"items": handback.read(db_session(), current_actor(), case_id,
                                       policy=current_policy())}


@blp.route("/<uuid:case_id>/return-to-school")
class CaseReturnToSchool(MethodView):
    """The return-to-school assessment (复学评估)."""

    @authenticated("cases:write")
    @blp.arguments(ReturnToSchoolSchema)
    @blp.response(201, CaseEntrySchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Record the return-to-school assessment."""
        return handback.record_return_to_school(db_session(), current_actor(), case_id,
                                                outcome=body["outcome"], note=body.get("note"))


@blp.route("/<uuid:case_id>/aftercare")
class CaseAftercare(MethodView):
    """The aftercare plan (善后)."""

    @authenticated("cases:write")
    @blp.arguments(AftercarePlanSchema)
    @blp.response(201, CaseEntrySchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Record the aftercare plan."""
        return handback.record_aftercare_plan(db_session(), current_actor(), case_id,
                                              plan=body["plan"])


@blp.route("/<uuid:case_id>/handovers")
class CaseHandovers(MethodView):
    """Handover to the next school, under a handover consent."""

    @authenticated("cases:write")
    @blp.arguments(HandoverCreateSchema)
    @blp.response(201, HandoverSentSchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Send the case summary; only consented categories leave, none without consent."""
        recipient_id = body.pop("recipient_institution_id")
        return handover.send(db_session(), current_actor(), case_id, recipient_id=recipient_id,
                             record=body, policy=current_policy())


@blp.route("/<uuid:case_id>/follow-ups")
class CaseFollowUps(MethodView):
    """Follow-up visits (回访)."""

    @authenticated("cases:write")
    @blp.arguments(FollowUpCreateSchema)
    @blp.response(201, CaseEntrySchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Record a follow-up visit."""
        return casework.follow_up(db_session(), current_actor(), case_id, **body)


@blp.route("/<uuid:case_id>/close")
class CaseClosure(MethodView):
    """Closing a case."""

    @authenticated("cases:write")
    @blp.arguments(ClosureSchema)
    @blp.response(200, CaseSchema)
    def post(self, body: dict, case_id: uuid.UUID):
        """Close the case: after a follow-up, with no open referral, and with the planned
        follow-ups done (or a closure reason)."""
        return casework.close(db_session(), current_actor(), case_id, body.get("reason"))
