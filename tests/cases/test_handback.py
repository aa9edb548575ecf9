"""Hand-back after hospital care: advice under consent, follow-ups due, closing the case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text

from gateway.db import engine_of, transaction
from gateway.models import AuditEntry
from tests.support import assert_problem

ADVICE = "Sertraline 50 mg; avoid night study; outpatient review every two weeks."
HAND_BACK = {"discharge_advice": ADVICE, "follow_up_after_days": [7, 30, 90],
             "return_to_school_advised": True, "return_on": "2026-12-14"}


def _move(client, referral: dict, status: str, token: dict) -> None:
    moved = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                        json={"status": status}, headers=token)
    assert moved.status_code == 200, moved.get_json()


def test_hand_back_plans_follow_ups_and_releases_advice_under_follow_up_consent(
        app, client, referred):
    case, referral = referred("green_channel_referral", "follow_up")
    token, hospital = referred.token, referred.hospital_token
    path = f"/api/v1/referrals/{referral['id']}/hand-back"
    assert_problem(client.post(path, json=HAND_BACK, headers=hospital), 409)  # not accepted yet
    assert_problem(client.post(path, json=HAND_BACK, headers=token), 404)  # the recipient only
    _move(client, referral, "accepted", hospital)
    sent = client.post(path, json=HAND_BACK, headers=hospital)
    assert sent.status_code == 201, sent.get_json()
    assert ADVICE not in sent.get_data(as_text=True)
    assert_problem(client.post(path, json=HAND_BACK, headers=hospital), 409)  # once

    handed = client.get(f"/api/v1/cases/{case['id']}/hand-backs", headers=token).get_json()
    [view] = handed["items"]
    assert view["discharge_advice"] == ADVICE and view["withheld"] is None
    assert (view["return_to_school_advised"], view["return_on"]) == (True, "2026-12-14")
    sent_at = datetime.fromisoformat(sent.get_json()["created_at"])
    assert [datetime.fromisoformat(f["due_at"]) - sent_at for f in view["follow_ups"]] == [
        timedelta(days=7), timedelta(days=30), timedelta(days=90)]
    ledger = client.get("/api/v1/cases", headers=token, query_string={
        "review_due_before": (sent_at + timedelta(days=7, seconds=1)).isoformat()}).get_json()
    assert [c["id"] for c in ledger["items"]] == [case["id"]]
    assert datetime.fromisoformat(ledger["items"][0]["next_follow_up_at"]) == sent_at + \
        timedelta(days=7)
    with engine_of(app).connect() as connection:
        stored = connection.execute(text("SELECT discharge_advice FROM hand_backs")).scalar_one()
    assert "Sertraline" not in stored


def test_without_a_follow_up_consent_the_advice_is_withheld_naming_the_consent(
        client, referred):
    case, referral = referred("green_channel_referral")
    _move(client, referral, "accepted", referred.hospital_token)
    assert client.post(f"/api/v1/referrals/{referral['id']}/hand-back", json=HAND_BACK,
                       headers=referred.hospital_token).status_code == 201
    response = client.get(f"/api/v1/cases/{case['id']}/hand-backs", headers=referred.token)
    [view] = response.get_json()["items"]
    assert view["discharge_advice"] is None
    assert view["withheld"]["purpose"] == "follow_up"
    assert ADVICE not in response.get_data(as_text=True)
    assert len(view["follow_ups"]) == 3  # the schedule is no clinical note


def test_a_case_closes_when_planned_follow_ups_are_done_or_with_a_reason(app, client, referred):
    token, hospital = referred.token, referred.hospital_token
    case, referral = referred("green_channel_referral", "follow_up")
    _move(client, referral, "accepted", hospital)
    client.post(f"/api/v1/referrals/{referral['id']}/hand-back", headers=hospital,
                json={**HAND_BACK, "follow_up_after_days": [7, 30]})
    _move(client, referral, "completed", hospital)
    returned = client.post(f"/api/v1/cases/{case['id']}/return-to-school", headers=token,
                           json={"outcome": "returned_with_support", "note": "Half days first."})
    assert returned.status_code == 201 and returned.get_json()["outcome"] == \
        "returned_with_support"
    aftercare = client.post(f"/api/v1/cases/{case['id']}/aftercare", headers=token,
                            json={"plan": "Weekly talk with counsellor Li; roommate support."})
    assert aftercare.status_code == 201 and aftercare.get_json()["kind"] == "aftercare_plan"

    visit = {"note": "Week one: attending, sleeping better.", "referral_id": referral["id"]}
    assert client.post(f"/api/v1/cases/{case['id']}/follow-ups", json=visit,
                       headers=token).status_code == 201
    early = assert_problem(client.post(f"/api/v1/cases/{case['id']}/close", json={},
                                       headers=token), 409)
    assert early["pending_follow_ups"] == 1
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "moved_away"},
                         headers=token)
    assert closed.status_code == 200, closed.get_json()
    assert (closed.get_json()["status"], closed.get_json()["closure_reason"]) == (
        "closed", "moved_away")
    with transaction(app) as session:
        audited = session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "case.closed")).one()
    assert audited == {"reason": "moved_away", "pending_follow_ups": 1}


def test_all_planned_follow_ups_done_the_case_closes_without_a_reason(client, referred):
    token, hospital = referred.token, referred.hospital_token
    case, referral = referred("green_channel_referral", "follow_up")
    _move(client, referral, "accepted", hospital)
    client.post(f"/api/v1/referrals/{referral['id']}/hand-back", headers=hospital,
                json={**HAND_BACK, "follow_up_after_days": [7, 30]})
    _move(client, referral, "completed", hospital)
    for week in (1, 4):
        client.post(f"/api/v1/cases/{case['id']}/follow-ups", headers=token,
                    json={"note": f"Week {week}: fine."})
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    assert detail["next_follow_up_at"] is None
    closed = client.post(f"/api/v1/cases/{case['id']}/close", headers=token)
    assert closed.status_code == 200 and closed.get_json()["closure_reason"] is None
    assert client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "other"},
                       headers=token).status_code == 409


def test_a_late_hand_back_keeps_its_advice_but_plans_nothing_on_a_closed_case(client, referred):
    token, hospital = referred.token, referred.hospital_token
    case, referral = referred("green_channel_referral", "follow_up")
    _move(client, referral, "accepted", hospital)
    _move(client, referral, "completed", hospital)
    client.post(f"/api/v1/cases/{case['id']}/follow-ups", headers=token, json={"note": "Fine."})
    assert client.post(f"/api/v1/cases/{case['id']}/close", headers=token).status_code == 200
    late = client.post(f"/api/v1/referrals/{referral['id']}/hand-back", json=HAND_BACK,
                       headers=hospital)
    assert late.status_code == 201, late.get_json()
    [view] = client.get(f"/api/v1/cases/{case['id']}/hand-backs",
                        headers=token).get_json()["items"]
    assert (view["discharge_advice"], view["follow_ups"]) == (ADVICE, [])
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    assert (detail["status"], detail["next_follow_up_at"]) == ("closed", None)
