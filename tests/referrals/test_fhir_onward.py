"""A hospital refers a student onward with FHIR ``POST Task`` (``partOf`` the Task it got)."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task

from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, grant_consents
from tests.support import bearer

LOCAL_REF = "mrn-0042"


@pytest.fixture
def chain(client, make_partner, token_for, link):
    """A school's referral to a hospital that may refer on to a counselling agency."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=[*HOSPITAL_SCOPES, "consents:write"])
    agency = make_partner("counselling_agency", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    link(hospital, agency, "referral")
    school_auth, hospital_auth = bearer(token_for(school)), bearer(token_for(hospital))
    grant_consents(client, school_auth, hospital.institution_id)
    referral = client.post("/api/v1/referrals", headers=school_auth,
                           json=referral_body(hospital.institution_id)).get_json()
    assert client.post("/api/v1/consents", headers=hospital_auth, json=consent_body(
        agency.institution_id, subject=LOCAL_REF, purpose="referral")).status_code == 201
    return referral["id"], school_auth, hospital_auth, agency, bearer(token_for(agency))


def _onward(parent: str, agency_id, **extra: object) -> dict:
    return {"resourceType": "Task", "status": "requested", "intent": "order",
            "priority": "urgent", "partOf": [{"reference": f"Task/{parent}"}],
            "owner": {"reference": f"Organization/{agency_id}"},
            "for": {"identifier": {"system": "urn:gateway:subject-ref", "value": LOCAL_REF}},
            "reasonCode": {"coding": [{"system": "urn:gateway:referral-reason",
                                       "code": "depressive_symptoms"}]},
            "description": "Weekly counselling after discharge.", **extra}


def test_hospital_refers_onward_and_the_chain_is_linked(client, chain):
    parent, _school, hospital, agency, agency_auth = chain
    created = client.post("/fhir/R4/Task", json=_onward(parent, agency.institution_id),
                          headers={**hospital, "Content-Type": "application/fhir+json"})
    assert created.status_code == 201, created.get_json()
    task = Task.model_validate(created.get_json())
    assert task.partOf[0].reference == f"Task/{parent}"
    assert (task.status, task.priority) == ("requested", "urgent")
    assert created.headers["Location"].endswith(f"/Task/{task.id}/_history/{task.meta.versionId}")
    assert created.headers["ETag"] == f'W/"{task.meta.versionId}"'
    worklist = Bundle.model_validate(client.get("/fhir/R4/Task", headers=agency_auth).get_json())
    assert [entry.resource.id for entry in worklist.entry] == [task.id]
    assert worklist.entry[0].resource.partOf[0].reference == f"Task/{parent}"
    seen = client.get(f"/fhir/R4/ServiceRequest/{task.id}", headers=agency_auth).get_json()
    assert seen["note"] == [{"text": "Weekly counselling after discharge."}]
    assert LOCAL_REF not in created.get_data(as_text=True)


@pytest.mark.parametrize(("change", "status"), [
    ({"partOf": []}, 422),                                    # continues nothing
    ({"id": "x1"}, 400),                                      # the gateway assigns ids
    ({"status": "accepted"}, 422),
    ({"reasonCode": {"coding": [{"code": "bored"}]}}, 422),
    ({"for": {"identifier": {"system": "urn:gateway:subject-ref", "value": "no spaces"}}}, 422),
    ({"partOf": [{"reference": "Task/5b0c8d4e-7d43-4b8f-9a57-6f1e3b0d2c11"}]}, 404),
])
def test_refused_onward_tasks_write_nothing(client, chain, table_counts, change, status):
    parent, _school, hospital, agency, _agency_auth = chain
    before = table_counts()
    response = client.post("/fhir/R4/Task", json=_onward(parent, agency.institution_id, **change),
                           headers=hospital)
    assert response.status_code == status, response.get_json()
    OperationOutcome.model_validate(response.get_json())
    assert table_counts() == before


def test_only_the_recipient_refers_onward(client, chain):
    parent, school, _hospital, agency, _agency_auth = chain
    response = client.post("/fhir/R4/Task", json=_onward(parent, agency.institution_id),
                           headers=school)
    assert response.status_code == 403
    OperationOutcome.model_validate(response.get_json())
