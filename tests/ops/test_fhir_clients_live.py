"""A hospital's integration, as its engineers would write it, against a real gunicorn.

Discovery from the SMART configuration at the FHIR base, a client assertion signed with PyJWT,
the token and the reads through fhirclient (SMART on FHIR), worklist paging and the If-Match
updates through fhirpy; then, with fhirpy, the worklist sorted by deadline and last update, the
partner directory, and a hand-back Communication whose follow-ups fall due in the school's
ledger. Everything received validates with ``fhir.resources`` (R4B).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import fhirclient.client
import jwt
import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from fhirclient.models.organization import Organization as ClientOrganization
from fhirclient.models.patient import Patient as ClientPatient
from fhirclient.models.servicerequest import ServiceRequest as ClientServiceRequest
from fhirclient.models.task import Task as ClientTask
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound
from fhirpy.base.exceptions import OperationOutcome as OperationOutcomeError

from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer

SCOPE = ("system/Task.rs system/Task.u system/ServiceRequest.r system/Patient.r "
         "system/Organization.r")


def _assertion(hospital, token_endpoint: str) -> str:
    """The partner's client assertion, signed with PyJWT from its PEM key."""
    now = int(time.time())
    return jwt.encode({"iss": hospital.client_id, "sub": hospital.client_id,
                       "aud": token_endpoint, "iat": now, "exp": now + 120,
                       "jti": str(uuid.uuid4())},
                      hospital.key.as_pem(private=True), algorithm="ES256",
                      headers={"kid": hospital.key.kid})


def test_hospital_integrates_with_fhirclient_and_fhirpy(live, worklist):
    school, hospital, _school_auth, _hospital_auth, ids = worklist
    base = live.url + "/fhir/R4"
    smart = requests.get(base + "/.well-known/smart-configuration", timeout=10).json()
    assert "system/Task.rs" in smart["scopes_supported"]

    settings = {"app_id": hospital.client_id, "api_base": base + "/", "scope": SCOPE,
                "jwt_token": _assertion(hospital, smart["token_endpoint"])}
    fhir_client = fhirclient.client.FHIRClient(settings=settings)
    fhir_client.wants_patient = False
    assert fhir_client.prepare() is False  # the CapabilityStatement asks for SMART auth
    fhir_client.authorize()
    assert fhir_client.ready
    server = fhir_client.server
    urgent = list(ClientTask.where({"status": "requested", "priority": "stat"})
                  .perform_resources_iter(server))
    assert sorted(task.id for task in urgent) == sorted([ids[0], ids[2]])
    task = Task.model_validate(urgent[0].as_json())
    request_id = task.focus.reference.split("/")[1]
    ServiceRequest.model_validate(ClientServiceRequest.read(request_id, server).as_json())
    Patient.model_validate(
        ClientPatient.read(task.for_fhir.reference.split("/")[1], server).as_json())
    organization = ClientOrganization.read(str(school.institution_id), server)
    assert Organization.model_validate(organization.as_json()).id == str(school.institution_id)

    token = f"Bearer {server.auth.access_token}"
    fhirpy = SyncFHIRClient(base, authorization=token)
    worklist = fhirpy.resources("Task").search(status="requested").limit(1)
    assert [t["id"] for t in worklist.fetch_all()] == list(reversed(ids))  # three pages
    bundle = Bundle.model_validate(fhirpy.execute("Task", method="get",
                                                  params={"_include": "Task:focus"}))
    assert (bundle.total, len(bundle.entry)) == (3, 6)

    rid = ids[0]
    current = fhirpy.reference("Task", rid).to_resource().serialize()
    first_version = current["meta"]["versionId"]

    def update(version: str, status: str) -> dict:
        client = SyncFHIRClient(base, authorization=token,
                                extra_headers={"If-Match": f'W/"{version}"'})
        resource = client.resource("Task", **{**current, "status": status})
        resource.save()
        return resource.serialize()

    accepted = update(first_version, "accepted")
    assert Task.model_validate(accepted).status == "accepted"
    assert accepted["meta"]["versionId"] != first_version
    completed = update(accepted["meta"]["versionId"], "completed")
    assert Task.model_validate(completed).status == "completed"
    with pytest.raises(MultipleResourcesFound) as refused:  # fhirpy's name for a 412
        update(first_version, "completed")
    OperationOutcome.model_validate_json(str(refused.value))


def _live_token(partner, token_endpoint: str, scope: str) -> str:
    """A partner's access token from the live server, asked for with its signed assertion."""
    granted = requests.post(token_endpoint, timeout=10, data={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": _assertion(partner, token_endpoint)})
    assert granted.status_code == 200, granted.text
    return granted.json()["access_token"]


def test_hospital_triages_finds_partners_and_hands_back_with_fhirpy(
        live, client, make_partner, token_for, link):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    school_auth = bearer(token_for(school))
    for purpose in ("green_channel_referral", "referral", "follow_up"):
        assert client.post("/api/v1/consents", headers=school_auth, json=consent_body(
            hospital.institution_id, purpose=purpose)).status_code == 201
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=school_auth).get_json()
    green = client.post("/api/v1/referrals", headers=school_auth, json=referral_body(
        hospital.institution_id, case_id=case["id"])).get_json()["id"]
    routine = client.post("/api/v1/referrals", headers=school_auth, json=referral_body(
        hospital.institution_id, priority="routine")).get_json()["id"]  # the newer one

    base = live.url + "/fhir/R4"
    smart = requests.get(base + "/.well-known/smart-configuration", timeout=10).json()
    token = _live_token(hospital, smart["token_endpoint"],
                            "system/Task.rs system/Task.u system/HealthcareService.rs "
                            "system/Communication.c")
    fhirpy = SyncFHIRClient(base, authorization=f"Bearer {token}")
    by_deadline = fhirpy.resources("Task").search(status="requested").sort("deadline").fetch()
    assert [task["id"] for task in by_deadline] == [green, routine]  # most urgent first
    newest = fhirpy.resources("Task").sort("-_lastUpdated").fetch()
    assert [task["id"] for task in newest] == [routine, green]
    partners = fhirpy.resources("HealthcareService").fetch_all()
    assert [HealthcareService.model_validate(p.serialize()).id for p in partners] == [
        str(school.institution_id)]

    task = fhirpy.reference("Task", green).to_resource()
    task["status"] = "accepted"
    task.save()
    document = {
        "status": "completed", "partOf": [{"reference": f"Task/{green}"}],
        "basedOn": [{"reference": f"ServiceRequest/{green}"}],
        "payload": [{"contentString": "Sertraline 50 mg; outpatient review fortnightly."}],
        "extension": [{"url": "urn:gateway:hand-back", "extension": [
            *({"url": "followUpAfter", "valueDuration": {
                "value": days, "system": "http://unitsofmeasure.org", "code": "d"}}
              for days in (7, 30, 90)),
            {"url": "returnToSchoolAdvised", "valueBoolean": True},
            {"url": "returnOn", "valueDate": "2026-12-14"}]}]}
    hand_back = fhirpy.resource("Communication", **document)
    hand_back.save()
    receipt = Communication.model_validate(hand_back.serialize())
    assert receipt.id and receipt.payload is None  # the advice is not echoed
    with pytest.raises(OperationOutcomeError):  # a referral is handed back once
        fhirpy.resource("Communication", **document).save()

    school_api = {"Authorization": "Bearer " + _live_token(
        school, smart["token_endpoint"], "cases:read")}
    [view] = requests.get(f"{live.url}/api/v1/cases/{case['id']}/hand-backs", timeout=10,
                          headers=school_api).json()["items"]
    sent_at = datetime.fromisoformat(view["created_at"])
    assert [datetime.fromisoformat(f["due_at"]) - sent_at for f in view["follow_ups"]] == [
        timedelta(days=days) for days in (7, 30, 90)]
    due = requests.get(f"{live.url}/api/v1/cases", timeout=10, headers=school_api, params={
        "review_due_before": (sent_at + timedelta(days=7, seconds=1)).isoformat()}).json()
    assert [item["id"] for item in due["items"]] == [case["id"]]
    assert datetime.fromisoformat(due["items"][0]["next_follow_up_at"]) == \
        sent_at + timedelta(days=7)
