"""The FHIR R4 endpoint for hospitals: CapabilityStatement, Task read, Task status updates.

Errors here are OperationOutcomes (what FHIR clients expect), and, as everywhere, a 4xx
rolls the request's transaction back: malformed or unmappable input changes nothing.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app, json, request
from flask.views import MethodView

from adapters import fhir
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.models import BusinessStatus, DeclineReason, ReferralStatus
from gateway.privacy import current_policy
from gateway.problems import status_of
from gateway.services.errors import DomainError, NotFound
from gateway.services.privacy import disclosure
from gateway.services.referrals import access, lifecycle, reads
from schemas.referrals import ReferralSchema

bp = Blueprint("fhir", __name__, url_prefix="/fhir/R4")
OUTCOME_CODE = {400: "invalid", 403: "forbidden", 404: "not-found", 409: "conflict",
                422: "processing"}


def fhir_response(document: dict, status: int = 200) -> Response:
    """A FHIR JSON response."""
    return Response(json.dumps(document), status=status, mimetype=fhir.FHIR_JSON)


def outcome(status: int, diagnostics: str) -> Response:
    """An OperationOutcome response (no personal data in ``diagnostics``)."""
    return fhir_response(fhir.operation_outcome(OUTCOME_CODE.get(status, "exception"),
                                                diagnostics), status)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    return outcome(status_of(exc), exc.detail)


@bp.errorhandler(fhir.Malformed)
def _malformed(exc: fhir.Malformed) -> Response:
    return outcome(400, str(exc))


@bp.errorhandler(fhir.Unmappable)
def _unmappable(exc: fhir.Unmappable) -> Response:
    return outcome(422, str(exc))


def _referral_id(task_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(task_id)
    except ValueError:
        raise NotFound("No Task with that id.") from None


@bp.get("/metadata")
def metadata() -> Response:
    """The CapabilityStatement (public, as FHIR requires)."""
    return fhir_response(fhir.capability_statement(current_app.config["ISSUER"] + "/fhir/R4"))


class TaskItem(MethodView):
    """The Task of one referral; the hospital that received it updates its status."""

    @authenticated("referrals:read")
    def get(self, task_id: str) -> Response:
        """Read the Task (the referral's current status)."""
        view = reads.read(db_session(), current_actor(), _referral_id(task_id),
                              policy=current_policy())
        return fhir_response(fhir.task_resource(ReferralSchema().dump(view)))

    @authenticated("referrals:write")
    def put(self, task_id: str) -> Response:
        """Apply a hospital's Task update onto the referral lifecycle."""
        referral_id = _referral_id(task_id)
        update = fhir.parse_task_update(request.get_json(force=True, silent=True), task_id)
        session, actor = db_session(), current_actor()
        status = ReferralStatus(update.status)
        business = BusinessStatus(update.business_status) if update.business_status else None
        referral = access.get_visible(session, actor, referral_id)
        if status is referral.status:
            if business or update.note:
                lifecycle.post_update(
                    session, actor, referral_id,
                    lifecycle.Update(business_status=business, note=update.note),
                    policy=current_policy())
        else:
            lifecycle.transition(session, actor, referral_id, policy=current_policy(),
                                          change=lifecycle.Transition(
                status=status, note=update.note, diagnosis_code=update.diagnosis_code,
                business_status=business,
                reason_code=DeclineReason(update.reason_code) if update.reason_code else None))
        view = disclosure.disclose(session, actor, referral, policy=current_policy())
        return fhir_response(fhir.task_resource(ReferralSchema().dump(view)))


bp.add_url_rule("/Task/<task_id>", view_func=TaskItem.as_view("task"))
