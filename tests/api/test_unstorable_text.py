"""Issue 16, defect 1: an unpaired UTF-16 surrogate in any text field is refused at the input
layer (422 naming the field; an OperationOutcome on FHIR), never a 500, and nothing is written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gateway.db import transaction
from gateway.models import Case, Referral
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import assert_problem, bearer

LONE = "\ud800x"  # JSON "\ud800x": a high surrogate with no low one after it


def _json(document: object) -> bytes:
    """JSON with the surrogate escaped as a client would send it (``\\ud800``)."""
    return json.dumps(document, ensure_ascii=True).encode()


@pytest.fixture
def scene(client, make_partner, token_for, link):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    school_headers, hospital_headers = bearer(token_for(school)), bearer(token_for(hospital))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id),
                headers=school_headers)
    return school_headers, hospital_headers, hospital.institution_id


def _count(app, model) -> int:
    with transaction(app) as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("extra", "field"), [
    ({"summary": LONE}, "summary"),
    ({"identity": {"name": LONE, "date_of_birth": "2008-01-01"}}, "identity.name"),
    ({"subject_ref": LONE}, "subject_ref"),
])
def test_a_referral_with_a_lone_surrogate_is_refused_naming_the_field(app, client, scene,
                                                                      extra, field):
    school, _hospital, recipient = scene
    response = client.post("/api/v1/referrals", data=_json(referral_body(recipient, **extra)),
                           content_type="application/json", headers=school)
    body = assert_problem(response, 422)
    assert field in body["errors"]["json"], body
    assert _count(app, Referral) == 0


def test_a_case_plan_with_a_lone_surrogate_is_refused(app, client, scene):
    school, _hospital, _recipient = scene
    response = client.post("/api/v1/cases", data=_json(crisis_case_body(plan=LONE)),
                           content_type="application/json", headers=school)
    assert "plan" in assert_problem(response, 422)["errors"]["json"]
    assert _count(app, Case) == 0


def test_a_transition_note_and_a_fhir_note_with_a_lone_surrogate_are_refused(client, scene):
    school, hospital, recipient = scene
    referral = client.post("/api/v1/referrals", json=referral_body(recipient),
                           headers=school).get_json()
    response = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                           data=_json({"status": "received", "note": LONE}),
                           content_type="application/json", headers=hospital)
    assert "note" in assert_problem(response, 422)["errors"]["json"]
    task = {"resourceType": "Task", "id": referral["id"], "intent": "order",
            "status": "received", "note": [{"text": LONE}]}
    fhir = client.put(f"/fhir/R4/Task/{referral['id']}", data=_json(task),
                      content_type="application/fhir+json", headers=hospital)
    assert fhir.status_code == 422
    outcome = fhir.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "note.0.text" in outcome["issue"][0]["diagnostics"]
    unchanged = client.get(f"/api/v1/referrals/{referral['id']}", headers=school).get_json()
    assert unchanged["status"] == "submitted"
