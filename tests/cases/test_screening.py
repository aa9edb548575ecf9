"""Screening rounds: counts only, approved instruments, positives open or update a case."""

from __future__ import annotations

import pytest

from tests.network_support import SCHOOL_SCOPES
from tests.support import assert_problem, bearer


@pytest.fixture
def token(make_partner, token_for) -> dict:
    """A university client with case scopes."""
    return bearer(token_for(make_partner("university", scopes=SCHOOL_SCOPES)))


def test_a_round_is_counts_only_with_an_approved_instrument(client, token, row_count):
    def record(**body) -> object:
        return client.post("/api/v1/screening-rounds", headers=token, json={
            "screened_on": "2026-09-20", "instrument": "PHQ-9", "screened": 1200,
            "positive": 37, **body})

    assert_problem(record(instrument="Homemade-12"), 422)
    assert_problem(record(positive=1201), 422)
    assert row_count("screening_rounds") == 0
    recorded = record()
    assert recorded.status_code == 201, recorded.get_json()
    assert set(recorded.get_json()) == {"id", "campus_id", "screened_on", "instrument",
                                        "screened", "positive", "created_at"}
    listed = client.get("/api/v1/screening-rounds", headers=token).get_json()["items"]
    assert [(r["screened"], r["positive"]) for r in listed] == [(1200, 37)]


def test_a_positive_screen_opens_a_case_or_updates_the_open_one(client, token):
    screening = client.post("/api/v1/screening-rounds", headers=token, json={
        "screened_on": "2026-09-20", "instrument": "PHQ-9", "screened": 300,
        "positive": 2}).get_json()
    path = f"/api/v1/screening-rounds/{screening['id']}/positives"
    first = client.post(path, headers=token, json={"subject_ref": "stu-1", "score": 19,
                                                   "risk_level": "high"})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["opened"] is True
    assert (body["case"]["attention_tier"], body["case"]["risk_level"]) == ("key", "high")
    assert (body["entry"]["instrument"], body["entry"]["score"]) == ("PHQ-9", 19)
    assert_problem(client.post(path, headers=token, json={
        "subject_ref": "stu-2", "score": 30, "risk_level": "high"}), 422)  # PHQ-9 is 0-27

    existing = client.post("/api/v1/cases", headers=token, json={
        "subject_ref": "stu-2", "attention_tier": "daily", "reported_level": "class",
        "reporter_role": "class_teacher"}).get_json()
    second = client.post(path, headers=token, json={"subject_ref": "stu-2", "score": 12,
                                                    "risk_level": "moderate"}).get_json()
    assert (second["opened"], second["case"]["id"]) == (False, existing["id"])
    assert second["case"]["risk_level"] == "moderate"
    third = client.post(path, headers=token, json={"subject_ref": "stu-3", "score": 11,
                                                   "risk_level": "moderate"})
    assert assert_problem(third, 409)["positive"] == 2
    crisis = client.post(path, headers=token, json={
        "subject_ref": "stu-4", "score": 11, "risk_level": "high", "attention_tier": "crisis"})
    assert_problem(crisis, 422)
