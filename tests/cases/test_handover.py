"""Handover between schools: nothing leaves without consent, only consented categories do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry
from tests.factories.cases import crisis_case_body
from tests.factories.referrals import SUBJECT_REF
from tests.network_support import SCHOOL_SCOPES
from tests.support import assert_problem, bearer

BIRTH = "2010-06-01"  # 16: the student and a guardian must both consent (default minors rule)
SUMMARY = {"identity": {"name": "李小明", "date_of_birth": BIRTH},
           "school_record": {"grade": "Grade 9", "notes": "Absent often after the move."},
           "risk_assessment": {"level": "high", "notes": "Self-harm in grade 8."}}


@pytest.fixture
def schools(client, make_partner, token_for):
    """A middle school handing over to a university, and a third school."""
    middle = make_partner("middle_school", scopes=SCHOOL_SCOPES)
    university = make_partner("university", scopes=SCHOOL_SCOPES)
    other = make_partner("university", scopes=SCHOOL_SCOPES)
    return {name: (partner, bearer(token_for(partner)))
            for name, partner in (("middle", middle), ("university", university),
                                  ("other", other))}


def _consent(client, token: dict, recipient_id, grantor: str, categories: list[str]) -> dict:
    response = client.post("/api/v1/consents", headers=token, json={
        "subject_ref": SUBJECT_REF, "grantor": grantor, "purpose": "handover",
        "data_categories": categories, "subject_birth_date": BIRTH,
        "recipient_institution_id": str(recipient_id),
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_handover_refused_without_consent_then_delivered_minimised(client, schools, row_count,
                                                                   app):
    (_m, middle), (university, uni) = schools["middle"], schools["university"]
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=middle).get_json()
    path = f"/api/v1/cases/{case['id']}/handovers"
    body = {"recipient_institution_id": str(university.institution_id), **SUMMARY}

    refused = assert_problem(client.post(path, json=body, headers=middle), 403,
                             "consent-required")
    assert refused["missing_consent"]["purpose"] == "handover"
    assert "李小明" not in str(refused)
    assert row_count("handovers") == 0
    _consent(client, middle, university.institution_id, "student",
             ["identity", "school_record"])
    only_student = assert_problem(client.post(path, json=body, headers=middle), 403)
    assert only_student["missing_consent"]["grantors"] == ["guardian"]
    assert row_count("handovers") == 0

    guardian = _consent(client, middle, university.institution_id, "guardian",
                        ["identity", "school_record"])
    sent = client.post(path, json=body, headers=middle)
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["data_categories"] == ["identity", "school_record"]
    handover_id = sent.get_json()["id"]

    inbox = client.get("/api/v1/handovers", headers=uni).get_json()
    assert [h["id"] for h in inbox["items"]] == [handover_id]
    read = client.get(f"/api/v1/handovers/{handover_id}", headers=uni)
    assert read.status_code == 200, read.get_json()
    view = read.get_json()
    assert view["data_categories"] == ["identity", "school_record"]
    assert set(view["content"]) == {"identity", "school_record"}
    assert view["content"]["identity"]["name"] == "李小明"
    assert "Self-harm" not in read.get_data(as_text=True)
    with transaction(app) as session:
        detail = session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "case.handed_over")).one()
    assert detail["withheld"] == ["risk_assessment"]

    _other, other = schools["other"]
    assert client.get(f"/api/v1/handovers/{handover_id}", headers=other).status_code == 404
    opened = client.post(f"/api/v1/handovers/{handover_id}/case", headers=uni, json={
        "subject_ref": "uni-stu-77", "attention_tier": "key", "reported_level": "college",
        "reporter_role": "counsellor"})
    assert opened.status_code == 201, opened.get_json()
    assert client.get(f"/api/v1/handovers/{handover_id}",
                      headers=uni).get_json()["received_case_id"] == opened.get_json()["id"]
    assert_problem(client.post(f"/api/v1/handovers/{handover_id}/case", headers=uni, json={
        "subject_ref": "uni-stu-78", "attention_tier": "key", "reported_level": "college",
        "reporter_role": "counsellor"}), 409)

    revoked = client.post(f"/api/v1/consents/{guardian['id']}/revoke", headers=middle,
                          json={"reason": "guardian withdrew"})
    assert revoked.status_code == 200
    assert_problem(client.get(f"/api/v1/handovers/{handover_id}", headers=uni), 403)


def test_a_handover_goes_to_another_school(client, schools, make_partner):
    (_m, middle) = schools["middle"]
    hospital = make_partner("hospital")
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=middle).get_json()
    wrong = client.post(f"/api/v1/cases/{case['id']}/handovers", headers=middle, json={
        "recipient_institution_id": str(hospital.institution_id), **SUMMARY})
    assert_problem(wrong, 422)
