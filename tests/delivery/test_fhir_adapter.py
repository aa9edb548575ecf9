"""FHIR R4: outbound Bundles validate; inbound Task updates map or get an OperationOutcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy import select

from adapters import Outbound, fhir
from gateway.db import transaction
from gateway.models import BusinessStatus, DeclineReason, OutboxMessage
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.network_support import HOSPITAL_SCOPES, grant_consents
from tests.support import bearer


@pytest.fixture
def sent(client, linked):
    """A submitted green-channel referral; the hospital's token header."""
    hospital_id, school_token = linked.hospital.institution_id, linked.school_headers
    grant_consents(client, school_token, hospital_id)
    referral = client.post("/api/v1/referrals", json=referral_body(hospital_id),
                           headers=school_token).get_json()
    return referral, linked.hospital_headers, school_token


def _submitted_message(app) -> Outbound:
    with transaction(app) as session:
        message = session.scalar(select(OutboxMessage).where(
            OutboxMessage.topic == "referral.submitted"))
        return Outbound(message.topic, message.idempotency_key, json.loads(message.payload),
                        message.created_at)


def test_submitted_referral_becomes_a_valid_transaction_bundle(app, sent):
    referral, _hospital, _school = sent
    bundle = fhir.document_for(_submitted_message(app), datetime.now(UTC))
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "transaction"
    kinds = sorted(entry.resource.get_resource_type() for entry in parsed.entry)
    assert kinds == ["Consent", "Organization", "Organization", "Patient", "ServiceRequest",
                     "Task"]
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    assert task["id"] == referral["id"]
    assert (task["status"], task["priority"]) == ("requested", "stat")
    assert task["restriction"]["period"]["end"] == referral["decision_due_at"]
    patient = next(e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Patient")
    assert patient["identifier"][0]["value"] == referral["subject_pseudonym"]
    assert SUBJECT_REF not in json.dumps(bundle)
    service_request = next(e["resource"] for e in bundle["entry"]
                           if e["resource"]["resourceType"] == "ServiceRequest")
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
            "code": "V", "display": "very restricted"} in service_request["meta"]["security"]


def test_builder_omits_fields_absent_from_the_view():
    message = Outbound("referral.submitted", "msg_x", {"referral": {
        "id": "5b0c8d4e-7d43-4b8f-9a57-6f1e3b0d2c11", "status": "submitted",
        "priority": "routine"}}, datetime.now(UTC))
    bundle = Bundle.model_validate(fhir.document_for(message, datetime.now(UTC)))
    resources = {entry.resource.get_resource_type(): entry.resource for entry in bundle.entry}
    assert sorted(resources) == ["Patient", "ServiceRequest", "Task"]
    assert resources["ServiceRequest"].note is None
    assert resources["Patient"].identifier is None
    assert resources["Task"].restriction is None


def test_fhir_codes_are_the_gateways_codes():
    assert {reason.value for reason in DeclineReason} == fhir.DECLINE_CODES
    assert {status.value for status in BusinessStatus} == fhir.BUSINESS_CODES


def test_capability_statement(client):
    response = client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    statement = CapabilityStatement.model_validate(response.get_json())
    assert statement.rest[0].resource[0].type == "Task"


def _task(task_id: str, status: str, **extra: object) -> dict:
    return {"resourceType": "Task", "id": task_id, "status": status, "intent": "order", **extra}


def test_hospital_moves_the_referral_through_task_updates(client, sent):
    referral, hospital, school = sent
    rid = referral["id"]
    accepted = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "accepted"), headers=hospital)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted"
    scheduled = client.put(f"/fhir/R4/Task/{rid}", headers=hospital, json=_task(
        rid, "accepted", businessStatus={"coding": [{"system": "urn:gateway:business-status",
                                                     "code": "event_unattended"}]}))
    assert scheduled.status_code == 200
    done = client.put(f"/fhir/R4/Task/{rid}", headers=hospital, json=_task(
        rid, "completed", note=[{"text": "Seen twice; discharged to school follow-up."}],
        output=[{"type": {"text": "diagnosis"}, "valueCodeableConcept": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "F32.1"}]}}]))
    assert done.status_code == 200
    seen = client.get(f"/api/v1/referrals/{rid}", headers=school).get_json()
    assert seen["status"] == "completed"
    read = client.get(f"/fhir/R4/Task/{rid}", headers=hospital)
    assert read.mimetype == "application/fhir+json"
    assert (read.get_json()["status"], read.get_json()["businessStatus"]["coding"][0]["code"]) \
        == ("completed", "event_unattended")
    assert seen["outcome"] == {"note": "Seen twice; discharged to school follow-up.",
                               "diagnosis_code": "F32.1"}
    events = client.get(f"/api/v1/referrals/{rid}/events", headers=school).get_json()
    assert [e["business_status"] for e in events if e["to_status"] is None] == [
        "event_unattended"]


@pytest.mark.parametrize(("body", "status"), [
    ("not json at all", 400),
    ({"resourceType": "Patient", "id": "x"}, 400),
    ({"resourceType": "Task", "status": "accepted"}, 400),  # no intent, no id
    ({"resourceType": "Task", "intent": "order", "status": "accepted", "bogus": 1}, 400),
    ({"resourceType": "Task", "intent": "order", "status": "on-hold"}, 422),
    ({"resourceType": "Task", "intent": "order", "status": "rejected"}, 422),  # no reason
    ({"resourceType": "Task", "intent": "order", "status": "accepted",
      "businessStatus": {"coding": [{"code": "teleported"}]}}, 422),
    ({"resourceType": "Task", "intent": "order", "status": "completed"}, 409),
    ({"resourceType": "Task", "intent": "order", "status": "received",
      "note": [{"text": "x" * 2500}, {"text": "y" * 2500}]}, 422),  # notes over 4,000 in all
])
def test_malformed_or_unmappable_task_gets_operation_outcome_and_changes_nothing(
        client, sent, row_count, body, status):
    referral, hospital, school = sent
    rid = referral["id"]
    if isinstance(body, dict) and body.get("resourceType") == "Task" and "intent" in body:
        body = {"id": rid, **body}
    before = {table: row_count(table) for table in ("referral_events", "outbox",
                                                    "audit_entries")}
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = client.put(f"/fhir/R4/Task/{rid}", headers={**hospital,
                                                          "Content-Type": "application/fhir+json"},
                          **kwargs)
    assert response.status_code == status
    OperationOutcome.model_validate(response.get_json())
    assert {table: row_count(table) for table in before} == before
    assert client.get(f"/api/v1/referrals/{rid}", headers=school).get_json()["status"] == \
        "submitted"


def test_task_of_another_hospital_or_mismatched_id_is_refused(client, sent, make_partner,
                                                              token_for):
    referral, hospital, _school = sent
    rid = referral["id"]
    mismatch = client.put(f"/fhir/R4/Task/{rid}", json=_task(
        "5b0c8d4e-7d43-4b8f-9a57-6f1e3b0d2c11", "accepted"), headers=hospital)
    assert mismatch.status_code == 400
    stranger = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    foreign = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "accepted"),
                         headers=bearer(token_for(stranger)))
    assert foreign.status_code == 404
    assert foreign.get_json()["resourceType"] == "OperationOutcome"
