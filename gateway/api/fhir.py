"""The FHIR R4 endpoint for hospitals: discovery, the Task worklist, reads, Task updates.

Errors here are OperationOutcomes (what FHIR clients expect), and, as everywhere, a 4xx
rolls the request's transaction back: malformed or unmappable input changes nothing. Tenancy
is the REST API's: the same services decide what a caller sees.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request
from flask.views import MethodView
from marshmallow import ValidationError

from adapters import fhir, fhir_conformance
from adapters import fhir_resources as resources
from gateway.api.auth import authenticated, current_actor
from gateway.api.fhir_http import (
    BadRequest,
    body,
    expected_version,
    fhir_response,
    negotiate,
    outcome,
    problem_as_outcome,
    refused,
    representation,
    resource_uuid,
)
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.models import BusinessStatus, DeclineReason, Priority, ReferralStatus
from gateway.oauth.routes import smart_configuration_document
from gateway.privacy import current_policy
from gateway.problems import status_of
from gateway.services.errors import DomainError, NotFound
from gateway.services.network import partnerships
from gateway.services.privacy import disclosure
from gateway.services.referrals import intake, lifecycle, onward, reads, task_updates
from schemas import dumping
from schemas.fhir import TASK_SORTS, TaskSearchSchema
from schemas.referrals import ReferralCreateSchema, ReferralSchema, ReferralTransitionSchema

bp = Blueprint("fhir", __name__, url_prefix="/fhir/R4")
STATUS_OF_TASK = {code: ReferralStatus(status) for status, code in resources.TASK_STATUS.items()}
PRIORITY_OF = {code: Priority(priority) for priority, code in resources.PRIORITY.items()}


@bp.before_request
def _negotiate() -> Response | None:
    if request.path.startswith(bp.url_prefix + "/.well-known/"):
        return None
    negotiate()
    return None


@bp.after_app_request
def _outcomes_only(response: Response) -> Response:
    """Every error at the FHIR base is an OperationOutcome, even one raised before routing
    (no such path or method) or by the token check."""
    if request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"):
        return problem_as_outcome(response)
    return response


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return outcome(exc.status, str(exc))


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    return outcome(status_of(exc), exc.detail)


@bp.errorhandler(fhir.Malformed)
def _malformed(exc: fhir.Malformed) -> Response:
    return outcome(400, str(exc))


@bp.errorhandler(fhir.Unmappable)
def _unmappable(exc: fhir.Unmappable) -> Response:
    return outcome(422, str(exc))


# built once, not per Task (a schema holds no request state); the view's dump planned as the
# REST API's is
_REFERRAL = dumping.compiled(ReferralSchema())
_SEARCH, _TRANSITION, _ONWARD = (TaskSearchSchema(), ReferralTransitionSchema(),
                                 ReferralCreateSchema())


def _view(referral: dict) -> dict:
    return _REFERRAL.dump(referral)


@bp.get("/metadata")
def metadata() -> Response:
    """The CapabilityStatement (public, as FHIR requires)."""
    issuer = current_app.config["ISSUER"]
    return fhir_response(fhir_conformance.capability_statement(issuer + bp.url_prefix,
                                                               issuer + "/oauth/token"))


@bp.get("/.well-known/smart-configuration")
def smart_configuration() -> Response:
    """SMART configuration at the FHIR base, where SMART clients look for it."""
    return jsonify(smart_configuration_document())


def _box(query: dict) -> tuple[str, uuid.UUID | None] | None:
    """Which box ``owner``/``requester`` name, and the other side; None if neither is us."""
    me = current_actor().institution_id
    owner = resource_uuid(query["owner"], "Organization") if "owner" in query else None
    requester = resource_uuid(query["requester"], "Organization") if "requester" in query else None
    if requester is not None and requester == me:
        return "sent", owner
    if owner is None or owner == me:
        return "inbox", requester
    return None


@bp.get("/Task")
@authenticated("referrals:read")
def search_tasks() -> Response:
    """The caller's Tasks (its worklist by default) as a ``searchset`` Bundle, newest first
    unless ``_sort`` names another order (last update either way, or the SLA deadline)."""
    try:
        query = _SEARCH.load(request.args.to_dict())
    except ValidationError as exc:
        raise refused(exc, 400, "Search parameters") from None
    box = _box(query)
    base = current_app.config["ISSUER"] + bp.url_prefix + "/Task"
    kept = {key: value for key, value in request.args.items() if key != "_cursor"}
    links = {"self": f"{base}?{urlencode(request.args)}"}
    if box is None:  # an institution sees no one else's Tasks, not even their number
        return fhir_response(fhir.searchset([], [], 0, links))
    page = reads.list_box(
        db_session(), current_actor(), box=box[0], counterparty=box[1],
        status=STATUS_OF_TASK.get(query.get("status")),
        priority=[PRIORITY_OF[query["priority"]]] if query.get("priority") in PRIORITY_OF
        else None, updated=query.get("last_updated"),
        sort=TASK_SORTS.get(query.get("sort"), "newest"), cursor=query.get("cursor"),
        limit=query["count"], with_total=True, policy=current_policy())
    views = [_view(item) for item in page.items]
    if page.next_cursor:
        links["next"] = f"{base}?{urlencode({**kept, '_cursor': page.next_cursor})}"
    included = [resources.service_request(view) for view in views] if "include" in query else []
    return fhir_response(fhir.searchset([resources.task(view) for view in views], included,
                                        page.total, links))


def _transition(task_id: str) -> lifecycle.Transition:
    """The hospital's Task as a lifecycle change, checked by the REST API's own schema."""
    update = fhir.parse_task_update(body(), task_id)
    fields = {"status": update.status, "reason_code": update.reason_code, "note": update.note,
              "diagnosis_code": update.diagnosis_code,
              "business_status": update.business_status}
    try:
        change = _TRANSITION.load(
            {key: value for key, value in fields.items() if value is not None})
    except ValidationError as exc:
        raise refused(exc, 422, "Task content") from None
    return lifecycle.Transition(
        status=change["status"], note=change.get("note"),
        diagnosis_code=change.get("diagnosis_code"),
        reason_code=DeclineReason(change["reason_code"]) if change.get("reason_code") else None,
        business_status=BusinessStatus(change["business_status"])
        if change.get("business_status") else None)


def _onward() -> tuple[uuid.UUID, intake.NewReferral]:
    """The hospital's new Task as an onward referral, checked by the REST API's own schema."""
    task = fhir.parse_onward_task(body())
    fields = {"recipient_institution_id": task.recipient, "subject_ref": task.subject_ref,
              "priority": task.priority, "reason": task.reason, "summary": task.summary}
    try:
        loaded = _ONWARD.load(
            {key: value for key, value in fields.items() if value is not None})
    except ValidationError as exc:
        raise refused(exc, 422, "Task content") from None
    return resource_uuid(task.part_of, "Task"), intake.NewReferral(
        recipient_id=loaded.pop("recipient_institution_id"), **loaded)


@bp.post("/Task")
@authenticated("referrals:write")
def create_task() -> Response:
    """An onward referral: a new Task whose ``partOf`` is a Task the caller received."""
    part_of, new = _onward()
    session, actor, policy = db_session(), current_actor(), current_policy()
    created = onward.refer_onward(session, actor, current_keyring().pseudonyms, part_of, new,
                                  request.headers.get("Idempotency-Key"), policy=policy)
    task = resources.task(_view(disclosure.disclose(session, actor, created.referral,
                                                    policy=policy)))
    response = representation(task, 200 if created.replayed else 201)
    response.headers["Location"] = (f"{current_app.config['ISSUER']}{bp.url_prefix}/Task/"
                                    f"{task['id']}/_history/{task['meta']['versionId']}")
    return response


class TaskItem(MethodView):
    """The Task of one referral; the hospital that received it updates its status."""

    @authenticated("referrals:read")
    def get(self, task_id: str) -> Response:
        """Read the Task (the referral's current status and version)."""
        view = reads.read(db_session(), current_actor(), resource_uuid(task_id, "Task"),
                          policy=current_policy())
        return representation(resources.task(_view(view)))

    @authenticated("referrals:write")
    def put(self, task_id: str) -> Response:
        """Apply a hospital's Task update onto the referral lifecycle (``If-Match`` honoured)."""
        referral_id = resource_uuid(task_id, "Task")
        version = expected_version()
        view = task_updates.apply(db_session(), current_actor(), referral_id,
                                  _transition(task_id), expected_version=version,
                                  policy=current_policy())
        return representation(resources.task(_view(view)))


def _versions(task_id: str) -> list[dict]:
    view, steps = reads.versions(db_session(), current_actor(), resource_uuid(task_id, "Task"),
                                 policy=current_policy())
    dumped = _view(view)
    return [resources.task_version(dumped, step) for step in steps]


@bp.get("/Task/<task_id>/_history")
@authenticated("referrals:read")
def task_history(task_id: str) -> Response:
    """The Task's versions, newest first (a ``history`` Bundle)."""
    return fhir_response(fhir.history(_versions(task_id)))


@bp.get("/Task/<task_id>/_history/<version_id>")
@authenticated("referrals:read")
def task_version(task_id: str, version_id: str) -> Response:
    """One version of the Task (vread)."""
    for resource in _versions(task_id):
        if resource["meta"]["versionId"] == version_id:
            return representation(resource)
    raise NotFound("No such version of that Task.")


@bp.get("/ServiceRequest/<request_id>")
@authenticated("referrals:read")
def read_service_request(request_id: str) -> Response:
    """The referral itself, minimised to what the caller may see."""
    view = reads.read(db_session(), current_actor(), resource_uuid(request_id, "ServiceRequest"),
                      policy=current_policy())
    return representation(resources.service_request(_view(view)))


@bp.get("/Patient/<patient_id>")
@authenticated("referrals:read")
def read_patient(patient_id: str) -> Response:
    """The pseudonymous subject of the caller's referrals, with only consented identity."""
    pseudonym = resources.pseudonym_of(patient_id)
    if pseudonym is None:
        raise NotFound("No Patient with that id.")
    view = reads.read_subject(db_session(), current_actor(), pseudonym, policy=current_policy())
    return representation(resources.patient(_view(view)))


@bp.get("/Consent/<consent_id>")
@authenticated("referrals:read")
def read_consent(consent_id: str) -> Response:
    """The consent a referral of the caller's was sent under, de-identified."""
    view, facts = reads.read_consent(db_session(), current_actor(),
                                     resource_uuid(consent_id, "Consent"),
                                     policy=current_policy())
    return fhir_response(resources.consent(_view(view), facts))


@bp.get("/Organization/<organization_id>")
@authenticated("referrals:read")
def read_organization(organization_id: str) -> Response:
    """An institution of the caller's partnerships (or the caller itself)."""
    institution = partnerships.known_institution(
        db_session(), current_actor().institution_id,
        resource_uuid(organization_id, "Organization"))
    return fhir_response(resources.organization({
        "id": str(institution.id), "name": institution.name, "active": institution.active}))


bp.add_url_rule("/Task/<task_id>", view_func=TaskItem.as_view("task"))
