"""Cases at a school: report, escalate, assess, care team and plan, follow-up, close."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.services.cases import casework
from gateway.services.privacy import subjects
from schemas.cases import (
    AssessmentCreateSchema,
    CaseCareSchema,
    CaseCreateSchema,
    CaseDetailSchema,
    CaseEntrySchema,
    CaseSchema,
    FollowUpCreateSchema,
)

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                description="A school's cases: one student, one leader, one team, one plan.")


@blp.route("")
class Cases(MethodView):
    """Open cases."""

    @authenticated("cases:write")
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    def post(self, body: dict):
        """Record a report; a crisis goes to the school centre at once."""
        actor = current_actor()
        key = subjects.subject_key(current_keyring().pseudonyms, actor.institution_id,
                                   body.pop("subject_ref"))
        return casework.open_case(db_session(), actor, casework.NewCase(
            subject_key=key, reported_level=body.pop("reported_level"),
            reporter_role=body.pop("reporter_role"), care=casework.Care(**body)))


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
        """Change tier, leader, team or plan."""
        return casework.change_care(db_session(), current_actor(), case_id, casework.Care(**body))


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
                               score=body.pop("score", None), note=body.pop("note", None), **body)


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
    @blp.response(200, CaseSchema)
    def post(self, case_id: uuid.UUID):
        """Close the case; needs a recorded follow-up and no open referral."""
        return casework.close(db_session(), current_actor(), case_id)
