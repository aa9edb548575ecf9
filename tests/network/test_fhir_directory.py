"""The partner directory at the FHIR base: HealthcareService and Endpoint reads and searches,
only for the caller's active referral partners, every resource valid R4 (fhir.resources R4B)."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.endpoint import Endpoint
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization

from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer

SERVICE = "urn:gateway:service"


@pytest.fixture
def partners(client, make_partner, token_for, link, admin_token):
    """A school with two referral partners (a hospital with a directory entry and SLA, an
    agency with neither), one training-only partner and a stranger; the school's header."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    agency = make_partner("counselling_agency", scopes=HOSPITAL_SCOPES)
    trainer = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    stranger = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    link(school, agency, "referral", "supervision")
    link(school, trainer, "training_resources")
    admin = bearer(admin_token)
    assert client.put(f"/api/v1/network/institutions/{hospital.institution_id}/directory",
                      headers=admin, json={"services": ["inpatient", "emergency_assessment"],
                                           "on_call_hours": "24/7"}).status_code == 200
    assert client.put(f"/api/v1/network/delivery/institutions/{hospital.institution_id}/sla",
                      headers=admin, json={"receipt_minutes": 10, "decision_minutes": 90,
                                           "on_call_contact": "急诊值班 021-0000-0000"}
                      ).status_code == 200
    ids = {name: str(partner.institution_id) for name, partner in (
        ("hospital", hospital), ("agency", agency), ("trainer", trainer),
        ("stranger", stranger))}
    return bearer(token_for(school)), bearer(token_for(stranger)), ids


def _bundle(response) -> Bundle:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/fhir+json"
    return Bundle.model_validate(response.get_json())


def _ids(bundle: Bundle, mode: str = "match") -> list[str]:
    return [e.resource.id for e in bundle.entry or [] if e.search.mode == mode]


def test_healthcare_services_list_only_active_referral_partners(client, partners, app):
    auth, _stranger, ids = partners
    bundle = _bundle(client.get("/fhir/R4/HealthcareService", headers=auth))
    assert (bundle.type, bundle.total) == ("searchset", 2)
    assert sorted(_ids(bundle)) == sorted([ids["hospital"], ids["agency"]])
    service = HealthcareService.model_validate(client.get(
        f"/fhir/R4/HealthcareService/{ids['hospital']}", headers=auth).get_json())
    assert sorted(c.coding[0].code for c in service.type) == ["emergency_assessment",
                                                              "inpatient"]
    assert service.category[0].coding[0].code == "hospital"
    assert service.telecom[0].value == "急诊值班 021-0000-0000"
    assert service.availabilityExceptions == "On call: 24/7"
    [sla] = service.extension
    assert {e.url: e.valueInteger for e in sla.extension} == {"receipt-minutes": 10,
                                                              "decision-minutes": 90}
    organization = client.get(f"/fhir/R4/{service.providedBy.reference}", headers=auth)
    assert Organization.model_validate(organization.get_json()).id == ids["hospital"]
    endpoint = Endpoint.model_validate(client.get(
        f"/fhir/R4/{service.endpoint[0].reference}", headers=auth).get_json())
    assert endpoint.address == app.config["ISSUER"] + "/fhir/R4"  # through the gateway
    assert endpoint.managingOrganization.reference == f"Organization/{ids['hospital']}"
    assert endpoint.connectionType.code == "hl7-fhir-rest"
    agency = HealthcareService.model_validate(client.get(
        f"/fhir/R4/HealthcareService/{ids['agency']}", headers=auth).get_json())
    assert agency.type is None and agency.telecom is None  # no directory entry yet
    assert {e.url: e.valueInteger for e in agency.extension[0].extension} == {
        "receipt-minutes": 15, "decision-minutes": 120}  # the default SLA


def test_directory_searches_narrow_and_include(client, partners):
    auth, _stranger, ids = partners
    for query in ("service-type=inpatient", f"service-type={SERVICE}|inpatient",
                  "service-category=hospital", f"organization=Organization/{ids['hospital']}"):
        bundle = _bundle(client.get(f"/fhir/R4/HealthcareService?{query}", headers=auth))
        assert (_ids(bundle), bundle.total) == ([ids["hospital"]], 1), query
    included = _bundle(client.get(
        "/fhir/R4/HealthcareService?service-type=inpatient&_include=HealthcareService:endpoint"
        "&_include=HealthcareService:organization", headers=auth))
    assert [(e.search.mode, e.resource.get_resource_type(), e.resource.id)
            for e in included.entry] == [("match", "HealthcareService", ids["hospital"]),
                                         ("include", "Endpoint", ids["hospital"]),
                                         ("include", "Organization", ids["hospital"])]
    endpoints = _bundle(client.get("/fhir/R4/Endpoint", headers=auth))
    assert sorted(_ids(endpoints)) == sorted([ids["hospital"], ids["agency"]])
    one = _bundle(client.get(f"/fhir/R4/Endpoint?organization={ids['agency']}", headers=auth))
    assert _ids(one) == [ids["agency"]]
    for query in ("service-type=surgery", "service-type=http://snomed.info/sct|inpatient",
                  "service-category=castle", "_include=HealthcareService:location", "name=x",
                  "organization=Organization/x"):
        refused = client.get(f"/fhir/R4/HealthcareService?{query}", headers=auth)
        assert refused.status_code == 400, query
        OperationOutcome.model_validate(refused.get_json())


def test_no_one_outside_active_referral_partnerships_is_revealed(client, partners):
    auth, stranger, ids = partners
    for name in ("trainer", "stranger"):
        for kind in ("HealthcareService", "Endpoint"):
            response = client.get(f"/fhir/R4/{kind}/{ids[name]}", headers=auth)
            assert response.status_code == 404, (name, kind)
            OperationOutcome.model_validate(response.get_json())
        narrowed = _bundle(client.get(
            f"/fhir/R4/HealthcareService?organization={ids[name]}", headers=auth))
        assert (narrowed.total, narrowed.entry) == (0, None)
    assert client.get("/fhir/R4/HealthcareService/not-a-uuid", headers=auth).status_code == 404
    for kind in ("HealthcareService", "Endpoint"):
        none = _bundle(client.get(f"/fhir/R4/{kind}", headers=stranger))
        assert (none.total, none.entry) == (0, None)
        assert client.get(f"/fhir/R4/{kind}/{ids['hospital']}",
                          headers=stranger).status_code == 404
    assert client.get("/fhir/R4/HealthcareService").status_code == 401


def test_capability_statement_lists_the_directory(client):
    rest = client.get("/fhir/R4/metadata").get_json()["rest"][0]
    kinds = {resource["type"]: resource for resource in rest["resource"]}
    for kind in ("HealthcareService", "Endpoint"):
        assert {i["code"] for i in kinds[kind]["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in kinds["HealthcareService"]["searchParam"]} >= {
        "organization", "service-type", "service-category"}
    assert kinds["Communication"]["interaction"] == [{"code": "create"}]
    task = {p["name"]: p for p in kinds["Task"]["searchParam"]}
    assert "deadline" in task["_sort"]["documentation"]
