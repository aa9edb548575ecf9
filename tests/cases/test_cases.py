"""Cases: one student, one leader, one team, one plan; reports rise; follow-up before closing."""

from __future__ import annotations

import pytest

from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, grant_consents
from tests.support import bearer


@pytest.fixture
def school(make_partner, token_for):
    """A university client with case scopes, and its token header."""
    partner = make_partner("university", scopes=SCHOOL_SCOPES)
    return partner, bearer(token_for(partner))


def test_crisis_case_needs_leader_team_and_plan_and_reaches_the_school_centre(
        client, school, row_count):
    _partner, token = school
    body = crisis_case_body()
    for field in ("leader", "team", "plan"):
        incomplete = {k: v for k, v in body.items() if k != field}
        refused = client.post("/api/v1/cases", json=incomplete, headers=token)
        assert refused.status_code == 422
        assert refused.get_json()["missing"] == [field]
    assert row_count("cases") == 0

    created = client.post("/api/v1/cases", json=body, headers=token)
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert (case["reported_level"], case["current_level"]) == ("dormitory", "school_centre")
    assert SUBJECT_REF not in created.get_data(as_text=True)
    dropping = client.patch(f"/api/v1/cases/{case['id']}", json={"team": []}, headers=token)
    assert dropping.status_code == 422


def test_reports_rise_level_by_level_and_a_crisis_jumps(client, school):
    _partner, token = school
    case = client.post("/api/v1/cases", json={
        "subject_ref": "stu-002", "attention_tier": "daily", "reported_level": "dormitory",
        "reporter_role": "dormitory_officer"}, headers=token).get_json()
    assert case["current_level"] == "dormitory"
    step = client.post(f"/api/v1/cases/{case['id']}/escalations", headers=token)
    assert step.get_json()["current_level"] == "class"
    assessed = client.post(f"/api/v1/cases/{case['id']}/assessments", json={
        "instrument": "PHQ-9", "score": 21, "risk_level": "high",
        "note": "Item 9 positive."}, headers=token)
    assert assessed.status_code == 201
    assert (assessed.get_json()["kind"], assessed.get_json()["score"]) == ("assessment", 21)

    to_crisis = client.patch(f"/api/v1/cases/{case['id']}", json={
        "attention_tier": "crisis", "tier_reason": "assessment"}, headers=token)
    assert to_crisis.status_code == 422  # not without leader, team and plan
    care = {"attention_tier": "crisis", "leader": "Head Chen", "team": ["counsellor Li"],
            "plan": "Daily check-ins."}
    no_reason = client.patch(f"/api/v1/cases/{case['id']}", json=care, headers=token)
    assert no_reason.status_code == 422 and no_reason.get_json()["missing"] == ["tier_reason"]
    to_crisis = client.patch(f"/api/v1/cases/{case['id']}", json={
        **care, "tier_reason": "assessment"}, headers=token)
    assert to_crisis.get_json()["current_level"] == "school_centre"
    top = client.post(f"/api/v1/cases/{case['id']}/escalations", headers=token)
    assert top.status_code == 409

    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    assert [(e["kind"], e["level"] or e["tier"] or e["instrument"])
            for e in detail["entries"]] == [
        ("escalation", "class"), ("assessment", "PHQ-9"), ("tier_change", "crisis"),
        ("escalation", "school_centre")]


def test_outcome_returns_to_the_case_which_closes_only_after_a_follow_up(
        client, school, make_partner, token_for, link):
    partner, token = school
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(partner, hospital, "referral")
    hospital_token = bearer(token_for(hospital))
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=token).get_json()
    grant_consents(client, token, hospital.institution_id)
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id, "stu-999"),
                headers=token)

    other_student = client.post("/api/v1/referrals", json=referral_body(
        hospital.institution_id, subject="stu-999", case_id=case["id"]), headers=token)
    assert other_student.status_code == 422
    referral = client.post("/api/v1/referrals", json=referral_body(
        hospital.institution_id, case_id=case["id"]), headers=token).get_json()
    early = client.post(f"/api/v1/cases/{case['id']}/close", headers=token)
    assert early.status_code == 409

    client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                json={"status": "accepted"}, headers=hospital_token)
    client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                json={"status": "completed", "note": "Stabilised; weekly outpatient care."},
                headers=hospital_token)
    assert client.post(f"/api/v1/cases/{case['id']}/close", headers=token).status_code == 409

    visit = client.post(f"/api/v1/cases/{case['id']}/follow-ups", json={
        "note": "Visited the student at the dormitory; attending classes.",
        "referral_id": referral["id"]}, headers=token)
    assert visit.status_code == 201
    closed = client.post(f"/api/v1/cases/{case['id']}/close", headers=token)
    assert closed.get_json()["status"] == "closed"

    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    outcome = next(e for e in detail["entries"] if e["kind"] == "referral_outcome")
    assert outcome["referral_status"] == "completed"
    assert outcome["note"] == "Stabilised; weekly outpatient care."
    assert [r["id"] for r in detail["referrals"]] == [referral["id"]]
    assert client.post(f"/api/v1/cases/{case['id']}/follow-ups", json={"note": "late"},
                       headers=token).status_code == 409


def test_cases_belong_to_schools_and_stay_private(client, school, make_partner, token_for):
    _partner, token = school
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=token).get_json()
    other = make_partner("middle_school", scopes=SCHOOL_SCOPES)
    other_token = bearer(token_for(other))
    assert client.get(f"/api/v1/cases/{case['id']}", headers=other_token).status_code == 404
    hospital = make_partner("hospital", scopes=SCHOOL_SCOPES)
    refused = client.post("/api/v1/cases", json=crisis_case_body(),
                          headers=bearer(token_for(hospital)))
    assert refused.status_code == 403
