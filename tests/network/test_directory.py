"""The partner directory over HTTP: where a (remote) campus may refer, what each place offers,
when its on-call line is staffed, who is on call, and the green-channel SLA."""

from __future__ import annotations

import uuid

from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer


def _set(client, admin_token: str, institution_id: uuid.UUID, **body):
    return client.put(f"/api/v1/network/institutions/{institution_id}/directory",
                      json=body, headers=bearer(admin_token))


def test_directory_lists_only_active_referral_partners_with_services_hours_and_sla(
        client, make_partner, token_for, link, admin_token):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    agency = make_partner("counselling_agency", scopes=HOSPITAL_SCOPES)
    trainer = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    stranger = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    partnership = link(school, hospital, "referral")
    link(school, agency, "referral", "supervision")
    link(school, trainer, "training_resources")  # no referral exchange: not listed
    assert stranger  # no partnership at all: not listed

    entry = _set(client, admin_token, hospital.institution_id,
                 services=["emergency_assessment", "inpatient", "emergency_assessment"],
                 on_call_hours="24/7")
    assert entry.status_code == 200, entry.get_json()
    assert entry.get_json()["services"] == ["emergency_assessment", "inpatient"]
    sla = client.put(f"/api/v1/network/delivery/institutions/{hospital.institution_id}/sla",
                     headers=bearer(admin_token), json={
                         "receipt_minutes": 10, "decision_minutes": 90,
                         "on_call_contact": "急诊值班 021-0000-0000"})
    assert sla.status_code == 200

    listed = client.get("/api/v1/directory", headers=bearer(token_for(school)))
    assert listed.status_code == 200, listed.get_json()
    by_id = {item["institution_id"]: item for item in listed.get_json()}
    assert set(by_id) == {str(hospital.institution_id), str(agency.institution_id)}
    first = by_id[str(hospital.institution_id)]
    assert first["kind"] == "hospital" and first["region"] == "r1"
    assert first["partnership_ids"] == [str(partnership)]
    assert first["services"] == ["emergency_assessment", "inpatient"]
    assert first["on_call_hours"] == "24/7"
    assert first["on_call_contact"] == "急诊值班 021-0000-0000"
    assert first["sla"] == {"receipt_minutes": 10, "decision_minutes": 90}
    second = by_id[str(agency.institution_id)]
    assert (second["services"], second["on_call_hours"], second["sla"]) == (
        [], None, {"receipt_minutes": 15, "decision_minutes": 120})  # defaults

    hospitals = client.get("/api/v1/directory", headers=bearer(token_for(school)),
                           query_string={"kind": "hospital"}).get_json()
    assert [h["institution_id"] for h in hospitals] == [str(hospital.institution_id)]
    inpatient = client.get("/api/v1/directory", headers=bearer(token_for(school)),
                           query_string={"service": "inpatient"}).get_json()
    assert [h["institution_id"] for h in inpatient] == [str(hospital.institution_id)]
    # the hospital sees the school as its partner too (partnerships go both ways)
    back = client.get("/api/v1/directory", headers=bearer(token_for(hospital))).get_json()
    assert [h["institution_id"] for h in back] == [str(school.institution_id)]


def test_directory_input_is_checked(client, make_partner, token_for, admin_token):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    bad = _set(client, admin_token, school.institution_id, services=["miracles"])
    assert bad.status_code == 422
    assert bad.content_type.startswith("application/problem+json")
    assert _set(client, admin_token, uuid.uuid4(), services=[]).status_code == 404
    assert _set(client, bearer(token_for(school))["Authorization"].split()[1],
                school.institution_id, services=[]).status_code == 403
    refused = client.get("/api/v1/directory", headers=bearer(token_for(school)),
                         query_string={"kind": "castle"})
    assert refused.status_code == 422
    assert client.get("/api/v1/directory").status_code == 401
