"""The ledger: one open case per student, filters and counts, reviews on a schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from gateway.db import engine_of, transaction
from gateway.models import AttentionTier, AuditEntry, Case, CaseStatus, ReportLevel
from gateway.services.actor import Actor
from gateway.services.cases import ledger, reviews
from gateway.services.cases.rules import CaseRules
from tests.factories.cases import crisis_case_body
from tests.network_support import SCHOOL_SCOPES
from tests.support import assert_problem, bearer

DAILY = {"attention_tier": "daily", "reported_level": "dormitory",
         "reporter_role": "dormitory_officer"}


@pytest.fixture
def school(make_partner, token_for):
    """A university client with case scopes, and its token header."""
    partner = make_partner("university", scopes=SCHOOL_SCOPES)
    return partner, bearer(token_for(partner))


def _actor(partner) -> Actor:
    return Actor(partner.client_id, uuid.UUID(str(partner.institution_id)), frozenset())


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_second_open_case_for_a_student_is_a_409_naming_the_open_case(client, school, app):
    _partner, token = school
    first = client.post("/api/v1/cases", json={"subject_ref": "stu-1", **DAILY},
                        headers=token).get_json()
    second = client.post("/api/v1/cases", json=crisis_case_body("stu-1"), headers=token)
    problem = assert_problem(second, 409, "open-case-exists")
    assert problem["open_case_id"] == first["id"]
    assert "stu-1" not in second.get_data(as_text=True)
    other_student = client.post("/api/v1/cases", json={"subject_ref": "stu-2", **DAILY},
                                headers=token)
    assert other_student.status_code == 201

    with engine_of(app).begin() as connection:  # closed by hand: the file stays as history
        connection.execute(text("UPDATE cases SET status = 'closed' WHERE id = :id"),
                           {"id": uuid.UUID(first["id"]).hex if connection.dialect.name ==
                            "sqlite" else first["id"]})
    again = client.post("/api/v1/cases", json={"subject_ref": "stu-1", **DAILY}, headers=token)
    assert again.status_code == 201, again.get_json()
    history = client.get("/api/v1/cases", query_string={"status": "closed"},
                         headers=token).get_json()
    assert [c["id"] for c in history["items"]] == [first["id"]]


def test_the_database_itself_refuses_a_second_open_case(app, school):
    partner, _token = school
    row = {"institution_id": uuid.UUID(str(partner.institution_id)), "subject_key": "k" * 64,
           "attention_tier": AttentionTier.DAILY, "reported_level": ReportLevel.CLASS,
           "current_level": ReportLevel.CLASS, "reporter_role": "teacher", "created_by": "t"}
    with transaction(app) as session:
        session.add(Case(**row, status=CaseStatus.CLOSED))
        session.add(Case(**row, status=CaseStatus.OPEN))
    with pytest.raises(IntegrityError), transaction(app) as session:
        session.add(Case(**row, status=CaseStatus.OPEN))
        session.flush()


def test_ledger_filters_pages_and_counts_by_tier(client, school, make_partner, token_for):
    _partner, token = school
    made = [client.post("/api/v1/cases", json={"subject_ref": f"stu-{n}", **DAILY},
                        headers=token).get_json() for n in range(3)]
    crisis = client.post("/api/v1/cases", json=crisis_case_body("stu-9"), headers=token)
    crisis = crisis.get_json()
    client.post(f"/api/v1/cases/{made[0]['id']}/assessments", json={
        "instrument": "PHQ-9", "score": 20, "risk_level": "high"}, headers=token)
    elsewhere = make_partner("university", scopes=SCHOOL_SCOPES)
    client.post("/api/v1/cases", json={"subject_ref": "stu-0", **DAILY},
                headers=bearer(token_for(elsewhere)))

    everything = client.get("/api/v1/cases", query_string={"limit": 2}, headers=token)
    assert everything.status_code == 200
    body = everything.get_json()
    assert body["counts"] == {"daily": 3, "key": 0, "crisis": 1}
    assert [c["id"] for c in body["items"]] == [crisis["id"], made[2]["id"]]
    rest = client.get("/api/v1/cases", query_string={"limit": 2, "cursor": body["next_cursor"]},
                      headers=token).get_json()
    assert [c["id"] for c in rest["items"]] == [made[1]["id"], made[0]["id"]]
    assert rest["next_cursor"] is None

    def ids(**query) -> list[str]:
        listed = client.get("/api/v1/cases", query_string=query, headers=token)
        assert listed.status_code == 200, listed.get_json()
        return [c["id"] for c in listed.get_json()["items"]]

    assert ids(attention_tier="crisis") == [crisis["id"]]
    assert ids(current_level="school_centre") == [crisis["id"]]
    assert ids(risk_level="high") == [made[0]["id"]]
    opened = _when(crisis["created_at"])
    assert ids(review_due_before=(opened + timedelta(days=3, minutes=1)).isoformat()) == [
        crisis["id"]]
    assert ids(review_due_before=(opened + timedelta(days=2)).isoformat()) == []
    assert ids(opened_after=(opened + timedelta(seconds=1)).isoformat()) == []
    assert ids(status="closed") == []
    filtered = client.get("/api/v1/cases", query_string={"attention_tier": "crisis"},
                          headers=token).get_json()
    assert filtered["counts"] == {"daily": 3, "key": 0, "crisis": 1}
    assert client.get("/api/v1/cases", query_string={"review_due_before": "2026-01-01T00:00"},
                      headers=token).status_code == 422


def test_reviews_follow_the_tier_interval_and_a_tier_change_is_audited_with_its_reason(
        app, client, school, row_count):
    partner, token = school
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=token).get_json()
    opened = _when(case["created_at"])
    assert _when(case["next_review_at"]) == opened + timedelta(days=3)
    actor, rules = _actor(partner), CaseRules()
    with transaction(app) as session:
        assert ledger.overdue(session, actor, now=opened + timedelta(days=2)) == []
        due = ledger.overdue(session, actor, now=opened + timedelta(days=3, seconds=1))
        assert [c.id for c in due] == [uuid.UUID(case["id"])]
    overdue = client.get("/api/v1/cases/overdue", headers=token,
                         query_string={"as_of": (opened + timedelta(days=4)).isoformat()})
    assert [c["id"] for c in overdue.get_json()["items"]] == [case["id"]]

    reviewed_at = opened + timedelta(days=3, hours=2)  # the injected clock
    with transaction(app) as session:
        kept = reviews.record(session, actor, uuid.UUID(case["id"]), tier=AttentionTier.CRISIS,
                              note="Sleeping again; still withdrawn.", tier_reason=None,
                              rules=rules, at=reviewed_at)
        assert (kept.outcome, kept.case.next_review_at) == (
            "kept", reviewed_at + timedelta(days=3))
    lowered = client.post(f"/api/v1/cases/{case['id']}/reviews", headers=token,
                          json={"attention_tier": "key", "note": "Stable for a week."})
    assert assert_problem(lowered, 422)["missing"] == ["tier_reason"]
    lowered = client.post(f"/api/v1/cases/{case['id']}/reviews", headers=token, json={
        "attention_tier": "key", "tier_reason": "improvement", "note": "Stable for a week."})
    assert lowered.status_code == 201, lowered.get_json()
    body = lowered.get_json()
    assert (body["outcome"], body["entry"]["kind"], body["entry"]["tier"]) == (
        "lowered", "review", "key")
    assert _when(body["next_review_at"]) - _when(body["entry"]["recorded_at"]) == timedelta(
        days=14)
    with transaction(app) as session:
        changes = [e.detail for e in session.scalars(select(AuditEntry).where(
            AuditEntry.action == "case.tier_changed"))]
    assert changes == [{"from": "crisis", "to": "key", "reason": "improvement"}]
    with engine_of(app).connect() as connection:
        notes = connection.execute(text(
            "SELECT note FROM case_entries WHERE kind = 'review'")).scalars().all()
    assert len(notes) == 2 and not any("withdrawn" in n or "Stable" in n for n in notes)
    assert row_count("case_entries") >= 3


def test_key_periods_shorten_review_intervals_in_their_region():
    rules = CaseRules.from_config({"CASE_RULES": {
        "default": {"review_interval_days": {"crisis": 3, "key": 14, "daily": 30}},
        "minhang": {"key_period_factor": 0.5,
                    "key_periods": [["graduation", "2027-05-15", "2027-06-30"]]}}})
    in_period, outside = datetime.fromisoformat("2027-06-01T09:00+00:00"), datetime.fromisoformat(
        "2027-07-02T09:00+00:00")
    minhang = rules.of("minhang")
    assert minhang.review_interval(AttentionTier.KEY, in_period) == timedelta(days=7)
    assert minhang.review_interval(AttentionTier.KEY, outside) == timedelta(days=14)
    assert rules.of("elsewhere").review_interval(AttentionTier.KEY, in_period) == timedelta(
        days=14)
    assert minhang.key_period_on(date(2027, 6, 30)).name == "graduation"
    with pytest.raises(ValueError):
        CaseRules.from_config({"CASE_RULES": {"default": {"key_period_factor": 2}}})
    with pytest.raises(ValueError):
        CaseRules.from_config({"CASE_RULES": {"default": {"review_interval_days": {"crisis": 0}}}})


def test_assessments_use_instruments_the_region_approves_within_their_range(client, school):
    _partner, token = school
    case = client.post("/api/v1/cases", json={"subject_ref": "stu-5", **DAILY},
                       headers=token).get_json()

    def assess(instrument: str, score: int) -> object:
        return client.post(f"/api/v1/cases/{case['id']}/assessments", headers=token, json={
            "instrument": instrument, "score": score, "risk_level": "moderate"})

    unlisted = assert_problem(assess("Homemade-12", 5), 422, "invalid-input")
    assert unlisted["approved_instruments"] == ["GAD-7", "PHQ-9", "SCL-90"]
    assert assert_problem(assess("PHQ-9", 28), 422)["score_range"] == [0, 27]
    assert assert_problem(assess("SCL-90", 80), 422)["score_range"] == [90, 450]
    assert assess("GAD-7", 12).status_code == 201
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    assert [e["instrument"] for e in detail["entries"]] == ["GAD-7"]
    assert detail["risk_level"] == "moderate"


def test_risk_factors_are_coded_encrypted_and_filter_the_ledger(app, client, school):
    _partner, token = school
    listed = client.get("/api/v1/cases/risk-factors", headers=token).get_json()["items"]
    assert {"code": "bereavement", "zh": "亲人离世", "en": "Bereavement"} in listed
    refused = client.post("/api/v1/cases", headers=token, json={
        "subject_ref": "stu-1", **DAILY, "risk_factors": ["astrology"]})
    assert_problem(refused, 422)
    made = [client.post("/api/v1/cases", headers=token, json={
        "subject_ref": f"stu-{n}", **DAILY, "risk_factors": factors}).get_json()
        for n, factors in enumerate((["bereavement", "family_hardship"], ["discipline"],
                                     ["bereavement"]))]
    assert made[0]["risk_factors"] == ["family_hardship", "bereavement"]
    crisis = client.post("/api/v1/cases", json=crisis_case_body("stu-9"), headers=token)
    changed = client.patch(f"/api/v1/cases/{crisis.get_json()['id']}", headers=token,
                           json={"risk_factors": ["bereavement", "prior_self_harm"]})
    assert changed.get_json()["risk_factors"] == ["bereavement", "prior_self_harm"]

    first = client.get("/api/v1/cases", headers=token,
                       query_string={"risk_factor": "bereavement", "limit": 2}).get_json()
    assert first["counts"] == {"daily": 2, "key": 0, "crisis": 1}
    rest = client.get("/api/v1/cases", headers=token, query_string={
        "risk_factor": "bereavement", "limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [c["id"] for c in first["items"] + rest["items"]] == [
        crisis.get_json()["id"], made[2]["id"], made[0]["id"]]
    assert rest["next_cursor"] is None
    only_daily = client.get("/api/v1/cases", headers=token, query_string={
        "risk_factor": "bereavement", "attention_tier": "daily"}).get_json()
    assert [c["id"] for c in only_daily["items"]] == [made[2]["id"], made[0]["id"]]
    with engine_of(app).connect() as connection:
        stored = connection.execute(text("SELECT risk_factors FROM cases")).scalars().all()
    assert not any("bereavement" in value for value in stored if value)


def test_the_ledger_shows_which_open_cases_fall_due_in_the_key_period(
        app, client, make_partner, token_for, monkeypatch):
    today = datetime.now(UTC).date()
    soon = [today + timedelta(days=1), today + timedelta(days=5)]
    monkeypatch.setitem(app.extensions, "gateway.case_rules", CaseRules.from_config({
        "CASE_RULES": {"minhang": {"key_periods": [
            ["exam weeks", *(day.isoformat() for day in soon)],
            ["before graduation", "2027-05-20", "2027-06-30"]]}}}))
    school = make_partner("university", scopes=SCHOOL_SCOPES, region="minhang")
    token = bearer(token_for(school))
    crisis = client.post("/api/v1/cases", json=crisis_case_body(), headers=token).get_json()
    daily = client.post("/api/v1/cases", json={"subject_ref": "stu-2", **DAILY},
                        headers=token).get_json()

    def due(on: date) -> dict:
        response = client.get("/api/v1/cases/key-period", query_string={"on": on.isoformat()},
                              headers=token)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    graduation = due(date(2027, 5, 1))
    assert graduation["period"] == {"name": "before graduation", "starts_on": "2027-05-20",
                                    "ends_on": "2027-06-30"}
    assert [c["id"] for c in graduation["items"]] == [crisis["id"], daily["id"]]
    assert due(date(2027, 7, 1)) == {"period": None, "items": []}
    exams = due(today)  # the next period: the crisis review (in 3 days) falls in it
    assert exams["period"]["name"] == "exam weeks"
    assert [c["id"] for c in exams["items"]] == [crisis["id"]]
