"""A crisis case from discovery to closure over HTTP only, against a real gunicorn.

The institutions and their partnership are set up directly; every step of the case goes through
the API with ``requests``. Time is injected where the ledger is asked about the future
(``review_due_before``, ``as_of``): the gateway's own clock is never moved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.live_support import TIMEOUT, Live, token
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES

ADVICE = "Continue sertraline; outpatient review in two weeks; no night study."


def test_crisis_case_from_discovery_to_closure_over_http(app, live: Live, make_partner, link):
    school = replace(make_partner("university", scopes=SCHOOL_SCOPES), issuer=live.url)
    hospital = replace(make_partner("hospital", scopes=HOSPITAL_SCOPES), issuer=live.url)
    link(school, hospital, "referral")
    http = requests.Session()
    uni = {"Authorization": "Bearer " + token(live, school)}
    hosp = {"Authorization": "Bearer " + token(live, hospital)}

    def call(method: str, path: str, headers: dict, expect: int = 200, **kwargs) -> dict:
        response = http.request(method, live.url + path, headers=headers, timeout=TIMEOUT,
                                **kwargs)
        assert response.status_code == expect, (path, response.text)
        return response.json()

    for purpose in ("green_channel_referral", "follow_up"):
        call("POST", "/api/v1/consents", uni, 201,
             json=consent_body(hospital.institution_id, purpose=purpose))

    # Discovery: the dormitory officer's report is a crisis; it reaches the school centre.
    case = call("POST", "/api/v1/cases", uni, 201, json=crisis_case_body())
    case_id, opened = case["id"], datetime.fromisoformat(case["created_at"])
    assert case["current_level"] == "school_centre"
    again = http.post(live.url + "/api/v1/cases", json=crisis_case_body(), headers=uni,
                      timeout=TIMEOUT)
    assert again.status_code == 409 and again.json()["open_case_id"] == case_id
    listed = call("GET", "/api/v1/cases", uni, params={"status": "open"})
    assert [c["id"] for c in listed["items"]] == [case_id]
    assert listed["counts"]["crisis"] == 1

    # Monitoring: the review falls due three days after discovery.
    def due_by(moment: datetime) -> list[str]:
        found = call("GET", "/api/v1/cases", uni, params={"review_due_before": moment.isoformat()})
        return [c["id"] for c in found["items"]]

    assert due_by(opened + timedelta(days=3) - timedelta(seconds=1)) == []
    assert due_by(opened + timedelta(days=3, seconds=1)) == [case_id]
    overdue = call("GET", "/api/v1/cases/overdue", uni,
                   params={"as_of": (opened + timedelta(days=3, minutes=1)).isoformat()})
    assert [c["id"] for c in overdue["items"]] == [case_id]
    reviewed = call("POST", f"/api/v1/cases/{case_id}/reviews", uni, 201, json={
        "attention_tier": "crisis", "note": "Still at risk; refer by green channel."})
    assert reviewed["outcome"] == "kept"
    assert datetime.fromisoformat(reviewed["next_review_at"]) - datetime.fromisoformat(
        reviewed["entry"]["recorded_at"]) == timedelta(days=3)

    # Intervention and referral: green channel to the hospital, which accepts.
    referral = call("POST", "/api/v1/referrals", uni, 201,
                    json=referral_body(hospital.institution_id, case_id=case_id))
    inbox = call("GET", "/api/v1/referrals", hosp, params={"box": "inbox"})
    assert [r["id"] for r in inbox["items"]] == [referral["id"]]
    for status in ("accepted", "in_progress"):
        call("POST", f"/api/v1/referrals/{referral['id']}/transitions", hosp,
             json={"status": status})

    # Hand-back: discharge advice and a follow-up plan; then the referral completes.
    handed = call("POST", f"/api/v1/referrals/{referral['id']}/hand-back", hosp, 201, json={
        "discharge_advice": ADVICE, "follow_up_after_days": [7, 30, 90],
        "return_to_school_advised": True,
        "return_on": (datetime.now(UTC) + timedelta(days=3)).date().isoformat()})
    call("POST", f"/api/v1/referrals/{referral['id']}/transitions", hosp,
         json={"status": "completed", "note": "Stabilised; outpatient care."})
    backs = call("GET", f"/api/v1/cases/{case_id}/hand-backs", uni)["items"]
    assert [b["discharge_advice"] for b in backs] == [ADVICE]
    handed_at = datetime.fromisoformat(handed["created_at"])
    assert due_by(handed_at + timedelta(days=7, seconds=1)) == [case_id]

    # Follow-up and aftercare: return to school, the plan, each planned follow-up.
    call("POST", f"/api/v1/cases/{case_id}/return-to-school", uni, 201,
         json={"outcome": "returned_with_support", "note": "Half days for two weeks."})
    call("POST", f"/api/v1/cases/{case_id}/aftercare", uni, 201,
         json={"plan": "Weekly talk with counsellor Li; class teacher watches attendance."})
    too_early = http.post(f"{live.url}/api/v1/cases/{case_id}/close", json={}, headers=uni,
                          timeout=TIMEOUT)
    assert too_early.status_code == 409, too_early.text
    for week in (1, 4, 12):
        call("POST", f"/api/v1/cases/{case_id}/follow-ups", uni, 201,
             json={"note": f"Week {week}: attending classes.", "referral_id": referral["id"]})
    closed = call("POST", f"/api/v1/cases/{case_id}/close", uni, json={})
    assert closed["status"] == "closed" and closed["closure_reason"] is None

    shown = call("GET", "/api/v1/cases", uni, params={"status": "closed"})
    assert [(c["id"], c["status"]) for c in shown["items"]] == [(case_id, "closed")]
    assert call("GET", "/api/v1/cases", uni, params={"status": "open"})["items"] == []

    with transaction(app) as session:
        steps = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id.in_([case_id, referral["id"]])).order_by(AuditEntry.seq)))
    expected = ["case.opened", "case.escalated", "case.reviewed", "referral.created",
                "referral.accepted", "referral.in_progress", "case.handed_back",
                "referral.completed", "case.hand_back_read", "case.return_assessed",
                "case.aftercare_planned", "case.followed_up", "case.followed_up",
                "case.followed_up", "case.closed"]
    assert [step for step in steps if step in set(expected)] == expected, steps
    verified = live.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
