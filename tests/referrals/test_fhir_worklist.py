"""The hospitals' FHIR interface in process: worklist search and tenancy, reads, versions,
content negotiation, SMART scopes and the REST validators on Task updates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from gateway.db import transaction
from gateway.models import Referral
from tests.network_support import HOSPITAL_SCOPES
from tests.support import bearer

FHIR = "application/fhir+json"


def _bundle(response) -> Bundle:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == FHIR
    return Bundle.model_validate(response.get_json())


def test_worklist_search_by_status_and_priority_pages_with_total(client, worklist):
    _school, hospital, _school_auth, auth, ids = worklist
    first = _bundle(client.get("/fhir/R4/Task?status=requested&priority=stat&_count=1",
                               headers=auth))
    assert (first.type, first.total, len(first.entry)) == ("searchset", 2, 1)
    assert first.entry[0].resource.id == ids[2]  # newest first
    assert first.entry[0].resource.owner.reference == f"Organization/{hospital.institution_id}"
    following = next(link.url for link in first.link if link.relation == "next")
    second = _bundle(client.get(following.removeprefix("http://gateway.test"), headers=auth))
    assert [e.resource.id for e in second.entry] == [ids[0]]
    assert second.total == 2
    assert not [link for link in second.link if link.relation == "next"]
    routine = _bundle(client.get("/fhir/R4/Task?priority=routine", headers=auth))
    assert [e.resource.id for e in routine.entry] == [ids[1]]
    none = _bundle(client.get("/fhir/R4/Task?status=completed", headers=auth))
    assert (none.total, none.entry) == (0, None)


def test_include_focus_brings_the_service_requests(client, worklist):
    _school, _hospital, _school_auth, auth, ids = worklist
    bundle = _bundle(client.get("/fhir/R4/Task?_include=Task:focus", headers=auth))
    modes = [(e.search.mode, e.resource.get_resource_type()) for e in bundle.entry]
    assert modes == [("match", "Task")] * 3 + [("include", "ServiceRequest")] * 3
    focus = {e.resource.focus.reference for e in bundle.entry if e.search.mode == "match"}
    assert focus == {f"ServiceRequest/{rid}" for rid in ids}


def test_another_hospital_sees_none_of_our_tasks_total_included(client, worklist, make_partner,
                                                                 token_for):
    school, hospital, _school_auth, auth, ids = worklist
    stranger = bearer(token_for(make_partner("hospital", scopes=HOSPITAL_SCOPES)))
    for query in ("", "?status=requested", f"?owner=Organization/{hospital.institution_id}",
                  f"?requester=Organization/{school.institution_id}",
                  f"?owner={hospital.institution_id}&requester={school.institution_id}"):
        bundle = _bundle(client.get(f"/fhir/R4/Task{query}", headers=stranger))
        assert (bundle.total, bundle.entry) == (0, None), query
    consent = client.get(f"/fhir/R4/ServiceRequest/{ids[0]}", headers=auth).get_json()[
        "supportingInfo"][0]["reference"]
    for path in (f"Task/{ids[0]}", f"ServiceRequest/{ids[0]}", consent,
                 f"Organization/{hospital.institution_id}", f"{consent}/_history"):
        response = client.get(f"/fhir/R4/{path}", headers=stranger)
        assert response.status_code == 404, path
        OperationOutcome.model_validate(response.get_json())


def test_the_sender_searches_what_it_sent(client, worklist):
    school, _hospital, school_auth, _auth, _ids = worklist
    sent = _bundle(client.get(f"/fhir/R4/Task?requester=Organization/{school.institution_id}",
                              headers=school_auth))
    assert sent.total == 3
    inbox = _bundle(client.get("/fhir/R4/Task", headers=school_auth))
    assert inbox.total == 0


def test_reads_resolve_every_reference_of_a_task(client, worklist):
    school, hospital, _school_auth, auth, ids = worklist
    task = Task.model_validate(client.get(f"/fhir/R4/Task/{ids[0]}", headers=auth).get_json())
    service_request = client.get(f"/fhir/R4/{task.focus.reference}", headers=auth)
    assert service_request.headers["ETag"] == f'W/"{task.meta.versionId}"'
    ServiceRequest.model_validate(service_request.get_json())
    patient = Patient.model_validate(
        client.get(f"/fhir/R4/{task.for_fhir.reference}", headers=auth).get_json())
    assert patient.identifier[0].value.startswith("psn_")
    assert "stu-001" not in client.get(f"/fhir/R4/{task.for_fhir.reference}",
                                       headers=auth).get_data(as_text=True)
    for reference in (task.owner.reference, task.requester.reference):
        organization = Organization.model_validate(
            client.get(f"/fhir/R4/{reference}", headers=auth).get_json())
        assert organization.id in (str(school.institution_id), str(hospital.institution_id))
    unknown = client.get("/fhir/R4/Patient/psn-00000000000000000000000000000000", headers=auth)
    assert unknown.status_code == 404
    consent_ref = ServiceRequest.model_validate(service_request.get_json()).supportingInfo[0]
    consent = Consent.model_validate(
        client.get(f"/fhir/R4/{consent_ref.reference}", headers=auth).get_json())
    assert consent.status == "active"
    assert consent.provision.purpose[0].code == "green_channel_referral"
    assert consent.provision.period.end is not None
    assert "grantor" not in consent.model_dump_json() and "student" not in \
        consent.model_dump_json()


def _task(rid: str, status: str, **extra: object) -> dict:
    return {"resourceType": "Task", "id": rid, "status": status, "intent": "order", **extra}


def test_if_match_updates_and_a_stale_etag_is_412(client, worklist, row_count):
    _school, _hospital, _school_auth, auth, ids = worklist
    rid = ids[0]
    etag = client.get(f"/fhir/R4/Task/{rid}", headers=auth).headers["ETag"]
    accepted = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "accepted"),
                          headers={**auth, "If-Match": etag})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.headers["ETag"] != etag
    assert Task.model_validate(accepted.get_json()).meta.versionId == \
        accepted.headers["ETag"][3:-1]
    events = row_count("referral_events")
    stale = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "completed"),
                       headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    OperationOutcome.model_validate(stale.get_json())
    assert row_count("referral_events") == events
    minimal = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "completed"),
                         headers={**auth, "If-Match": accepted.headers["ETag"],
                                  "Prefer": "return=minimal"})
    assert (minimal.status_code, minimal.get_data()) == (200, b"")
    assert minimal.headers["ETag"]


@pytest.mark.parametrize("output", [
    [{"type": {"text": "diagnosis"}, "valueCodeableConcept": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10", "code": "<script>alert(1)</script>"}]}}],
    [{"type": {"text": "diagnosis"}, "valueCodeableConcept": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10", "code": "J45"}]}}],
    [{"type": {"text": "diagnosis"}, "valueCodeableConcept": {"coding": [
        {"system": "http://snomed.info/sct", "code": "35489007"}]}}],
])
def test_task_diagnosis_obeys_the_rest_validator(client, worklist, table_counts, output):
    _school, _hospital, school_auth, auth, ids = worklist
    rid = ids[0]
    assert client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "accepted"),
                      headers=auth).status_code == 200
    before = table_counts()
    response = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "completed", output=output),
                          headers=auth)
    assert response.status_code == 422
    OperationOutcome.model_validate(response.get_json())
    assert "script" not in response.get_data(as_text=True)
    assert table_counts() == before
    rest = client.get(f"/api/v1/referrals/{rid}", headers=school_auth).get_json()
    assert rest["status"] == "accepted"


def test_content_negotiation(client, worklist):
    _school, _hospital, _school_auth, auth, ids = worklist
    rid = ids[0]
    for request in ({"headers": {**auth, "Accept": "application/fhir+xml"}, "path": "Task"},
                    {"headers": auth, "path": "Task?_format=xml"},
                    {"headers": {"Accept": "application/fhir+xml"}, "path": "metadata"}):
        response = client.get(f"/fhir/R4/{request['path']}", headers=request["headers"])
        assert response.status_code == 406, request
        OperationOutcome.model_validate(response.get_json())
    for accept in ("application/fhir+json", "application/json", "*/*"):
        assert client.get("/fhir/R4/Task", headers={**auth, "Accept": accept}).status_code == 200
    assert client.get("/fhir/R4/Task?_format=json", headers=auth).status_code == 200
    wrong = client.put(f"/fhir/R4/Task/{rid}", data="<Task/>",
                       headers={**auth, "Content-Type": "application/fhir+xml"})
    assert wrong.status_code == 415
    OperationOutcome.model_validate(wrong.get_json())
    assert client.get(f"/fhir/R4/Task/{rid}", headers=auth).get_json()["status"] == "requested"


def test_unsupported_search_parameter_is_an_operation_outcome(client, worklist):
    _school, _hospital, _school_auth, auth, _ids = worklist
    for query in ("status=bogus", "_count=0", "_include=Task:owner", "name=x",
                  "owner=Organization/x"):
        response = client.get(f"/fhir/R4/Task?{query}", headers=auth)
        assert response.status_code == 400, query
        OperationOutcome.model_validate(response.get_json())


def test_capability_statement_and_smart_configuration(client, app):
    statement = CapabilityStatement.model_validate(client.get("/fhir/R4/metadata").get_json())
    rest = statement.rest[0]
    oauth = rest.security.extension[0]
    assert oauth.url.endswith("/oauth-uris")
    assert oauth.extension[0].valueUri == app.config["ISSUER"] + "/oauth/token"
    task = next(resource for resource in rest.resource if resource.type == "Task")
    assert {p.name for p in task.searchParam} >= {"status", "priority", "owner", "_count"}
    assert {r.type for r in rest.resource} >= {"ServiceRequest", "Patient", "Organization"}
    smart = client.get("/fhir/R4/.well-known/smart-configuration")
    assert smart.status_code == 200
    assert smart.get_json()["token_endpoint"] == app.config["ISSUER"] + "/oauth/token"
    assert "system/Task.rs" in smart.get_json()["scopes_supported"]


def test_smart_system_scopes_map_onto_gateway_scopes(client, make_partner):
    reader = make_partner("hospital", scopes=["referrals:read"])
    granted = client.post("/oauth/token", data=reader.token_form("system/Task.rs "
                                                                 "system/ServiceRequest.r"))
    assert granted.status_code == 200, granted.get_json()
    scopes = granted.get_json()["scope"].split()
    assert set(scopes) == {"system/Task.rs", "system/ServiceRequest.r", "referrals:read"}
    token = bearer(granted.get_json()["access_token"])
    assert client.get("/fhir/R4/Task", headers=token).status_code == 200
    assert client.put("/fhir/R4/Task/x", json={}, headers=token).status_code == 403
    beyond = client.post("/oauth/token", data=reader.token_form("system/Task.u"))
    assert beyond.status_code == 400
    unknown = client.post("/oauth/token", data=reader.token_form("system/Observation.rs"))
    assert unknown.status_code == 400


def test_task_history_lists_every_lifecycle_version(client, worklist):
    _school, _hospital, _school_auth, auth, ids = worklist
    rid = ids[0]
    assert client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "accepted"),
                      headers=auth).status_code == 200
    done = client.put(f"/fhir/R4/Task/{rid}", headers=auth, json=_task(rid, "completed", output=[
        {"type": {"text": "diagnosis"}, "valueCodeableConcept": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "F32.1"}]}}]))
    assert done.status_code == 200, done.get_json()
    history = _bundle(client.get(f"/fhir/R4/Task/{rid}/_history", headers=auth))
    assert history.type == "history"
    tasks = [entry.resource for entry in history.entry]
    assert [task.status for task in tasks] == ["completed", "accepted", "received", "requested"]
    versions = [int(task.meta.versionId) for task in tasks]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == 4
    assert done.headers["ETag"] == f'W/"{versions[0]}"'
    assert tasks[0].output[0].valueCodeableConcept.coding[0].code == "F32.1"
    assert tasks[1].output is None
    old = client.get(f"/fhir/R4/Task/{rid}/_history/{versions[1]}", headers=auth)
    assert (old.status_code, old.get_json()["status"]) == (200, "accepted")
    assert client.get(f"/fhir/R4/Task/{rid}/_history/999", headers=auth).status_code == 404


def test_every_error_at_the_fhir_base_is_an_operation_outcome(client, worklist, make_partner,
                                                               token_for):
    _school, _hospital, _school_auth, auth, ids = worklist
    no_token = client.get("/fhir/R4/Task")
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    no_scope = client.get("/fhir/R4/Task", headers=bearer(token_for(make_partner(
        "hospital", scopes=["consents:read"]))))
    assert no_scope.status_code == 403
    no_route = client.get(f"/fhir/R4/Consent/{ids[0]}/_history", headers=auth)
    wrong_method = client.delete(f"/fhir/R4/Task/{ids[0]}", headers=auth)
    assert (no_route.status_code, wrong_method.status_code) == (404, 405)
    for response in (no_token, no_scope, no_route, wrong_method):
        assert response.mimetype == FHIR
        OperationOutcome.model_validate(response.get_json())
    assert client.get("/api/v1/referrals").mimetype == "application/problem+json"


def test_last_updated_filters_the_worklist(client, worklist):
    _school, _hospital, _school_auth, auth, ids = worklist
    rid = ids[1]
    changed = client.put(f"/fhir/R4/Task/{rid}", json=_task(rid, "received"), headers=auth)
    moment = changed.get_json()["meta"]["lastUpdated"]
    since = _bundle(client.get("/fhir/R4/Task", headers=auth,
                               query_string={"_lastUpdated": f"ge{moment}"}))
    assert [entry.resource.id for entry in since.entry] == [rid]
    before = _bundle(client.get("/fhir/R4/Task", headers=auth,
                                query_string={"_lastUpdated": f"lt{moment}"}))
    assert sorted(entry.resource.id for entry in before.entry) == sorted([ids[0], ids[2]])
    for wrong in ("2026-12-01", "eq2026-12-01T00:00:00Z", "gt2026-12-01T00:00:00"):
        response = client.get("/fhir/R4/Task", headers=auth, query_string={"_lastUpdated": wrong})
        assert response.status_code == 400, wrong


def _pages(client, auth, query: str) -> list[str]:
    """Every Task id of a search, one per page, following the ``next`` links."""
    ids, path = [], f"/fhir/R4/Task?{query}&_count=1"
    while path:
        bundle = _bundle(client.get(path, headers=auth))
        assert bundle.total == 3
        ids += [entry.resource.id for entry in bundle.entry or []]
        following = [link.url for link in bundle.link if link.relation == "next"]
        path = following[0].removeprefix("http://gateway.test") if following else None
    return ids


def test_sort_by_last_update_or_deadline_pages_in_that_order(app, client, worklist):
    _school, _hospital, _school_auth, auth, ids = worklist
    now = datetime.now(UTC)
    due = {ids[0]: 2, ids[1]: 1, ids[2]: 3}  # hours from now
    changed = {ids[0]: 1, ids[1]: 3, ids[2]: 2}  # minutes ago
    with transaction(app) as session:
        for rid in ids:
            referral = session.get(Referral, uuid.UUID(rid))
            referral.receipt_due_at = None
            referral.expires_at = now + timedelta(hours=due[rid])
            referral.updated_at = now - timedelta(minutes=changed[rid])
    assert _pages(client, auth, "status=requested") == [ids[2], ids[1], ids[0]]
    assert _pages(client, auth, "_sort=deadline") == [ids[1], ids[0], ids[2]]
    assert _pages(client, auth, "_sort=_lastUpdated") == [ids[1], ids[2], ids[0]]
    assert _pages(client, auth, "_sort=-_lastUpdated") == [ids[0], ids[2], ids[1]]
    rest = client.get("/api/v1/referrals", headers=auth, query_string={"sort": "deadline"})
    assert [item["id"] for item in rest.get_json()["items"]] == [ids[1], ids[0], ids[2]]
    for wrong in ("status", "-deadline", "_lastUpdated,deadline", ""):
        response = client.get("/fhir/R4/Task", headers=auth, query_string={"_sort": wrong})
        assert response.status_code == 400, wrong
        OperationOutcome.model_validate(response.get_json())
