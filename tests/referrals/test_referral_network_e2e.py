"""End to end over real HTTP: a school's crisis case → green-channel referral → FHIR Bundle at
the simulated hospital → the hospital accepts and completes through the FHIR endpoint → the
outcome and a follow-up return to the case → the case closes; every step is in the audit log."""

from __future__ import annotations

import requests
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from adapters.simulator import HOSPITAL_PATH, SCHOOL_PATH
from gateway.db import transaction
from gateway.delivery.worker import Worker
from gateway.models import AuditEntry
from gateway.services.audit import journal
from gateway.services.referrals import sla
from tests.network_support import (
    HOSPITAL_SCOPES,
    SCHOOL_SCOPES,
    consent_body,
    crisis_case_body,
    referral_body,
    set_endpoint,
)
from tests.support import TESTER


def _token(base: str, partner) -> dict:
    response = requests.post(f"{base}/oauth/token", data=partner.token_form(), timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_crisis_case_to_closed_loop_over_http(app, live_server, simulator, make_partner, link):
    base = live_server
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    simulator.secrets[HOSPITAL_PATH] = set_endpoint(
        app, "fhir_r4", simulator.base_url + HOSPITAL_PATH, institution_id=hospital.institution_id)
    simulator.secrets[SCHOOL_PATH] = set_endpoint(
        app, "webhook", simulator.base_url + SCHOOL_PATH, institution_id=school.institution_id)
    with transaction(app) as session:
        sla.set_policy(session, TESTER, hospital.institution_id, receipt_minutes=15,
                       decision_minutes=120, on_call_contact="pager 7001")
    school_auth, hospital_auth = _token(base, school), _token(base, hospital)
    worker = Worker(app)

    case = _ok(requests.post(f"{base}/api/v1/cases", json=crisis_case_body(),
                             headers=school_auth, timeout=10), 201)
    assert case["current_level"] == "school_centre"
    for purpose in ("green_channel_referral", "follow_up"):
        _ok(requests.post(f"{base}/api/v1/consents", json=consent_body(
            hospital.institution_id, purpose=purpose), headers=school_auth, timeout=10), 201)
    referral = _ok(requests.post(f"{base}/api/v1/referrals", json=referral_body(
        hospital.institution_id, case_id=case["id"]), headers=school_auth, timeout=10), 201)
    rid = referral["id"]

    assert worker.run_once() == 1
    (bundle_key,) = simulator.state.keys(HOSPITAL_PATH)
    bundle = Bundle.model_validate(simulator.state.effects[bundle_key]["document"])
    task = simulator.state.tasks[rid]
    assert (task["priority"], task["status"]) == ("stat", "requested")
    assert task["restriction"]["period"]["end"] == referral["decision_due_at"]
    assert {e.resource.get_resource_type() for e in bundle.entry} == {
        "ServiceRequest", "Task", "Patient", "Consent", "Organization"}

    task_url = f"{base}/fhir/R4/Task/{rid}"
    accepted = _ok(requests.put(task_url, json={**task, "status": "accepted"},
                                headers=hospital_auth, timeout=10))
    assert accepted["status"] == "accepted"
    completed = _ok(requests.put(task_url, json={
        **task, "status": "completed",
        "businessStatus": {"coding": [{"system": "urn:gateway:business-status",
                                       "code": "fulfillment_completed"}]},
        "note": [{"text": "Crisis resolved; weekly outpatient therapy."}]},
        headers=hospital_auth, timeout=10))
    assert completed["status"] == "completed"

    assert worker.run_once() == 3  # received, accepted, completed → the school
    school_events = [simulator.state.effects[k]["document"]["type"]
                     for k in simulator.state.keys(SCHOOL_PATH)]
    assert school_events == ["referral.received", "referral.accepted", "referral.completed"]
    assert simulator.state.rejected == 0

    seen = _ok(requests.get(f"{base}/api/v1/referrals/{rid}", headers=school_auth, timeout=10))
    assert seen["outcome"]["note"] == "Crisis resolved; weekly outpatient therapy."
    _ok(requests.post(f"{base}/api/v1/cases/{case['id']}/follow-ups", json={
        "note": "回访: student back in class, sleeping better.", "referral_id": rid},
        headers=school_auth, timeout=10), 201)
    closed = _ok(requests.post(f"{base}/api/v1/cases/{case['id']}/close", headers=school_auth,
                               timeout=10))
    assert closed["status"] == "closed"
    metrics = _ok(requests.get(f"{base}/api/v1/referrals/{rid}/metrics", headers=school_auth,
                               timeout=10))
    assert metrics["time_to_completion"] >= metrics["time_to_decision"] >= 0

    with transaction(app) as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
        assert journal.verify(session).ok
    story = ["case.opened", "case.escalated", "consent.granted", "referral.created",
             "referral.submitted", "outbox.delivered", "referral.received", "referral.accepted",
             "referral.completed", "outbox.delivered", "case.followed_up", "case.closed"]
    cursor = 0
    for step in story:  # each step recorded, in this order
        assert step in actions[cursor:], step
        cursor = actions.index(step, cursor) + 1
