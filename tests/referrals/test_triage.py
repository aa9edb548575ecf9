"""Hospital triage over HTTP: the inbox filtered by priority, status and deadline, sorted by the
SLA deadline (most urgent first), with counts per priority."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from gateway.db import transaction
from gateway.models import Referral
from gateway.services.referrals import sla
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import TESTER, bearer


@pytest.fixture
def inbox(app, client, make_partner, token_for, link):
    """A hospital that promises receipt in 5 minutes, and a school that refers to it."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    with transaction(app) as session:
        sla.set_policy(session, TESTER, hospital.institution_id, receipt_minutes=5,
                       decision_minutes=60, on_call_contact=None)
    sender = bearer(token_for(school))
    for purpose in ("green_channel_referral", "referral"):
        client.post("/api/v1/consents", headers=sender,
                    json=consent_body(hospital.institution_id, purpose=purpose))

    def send(priority: str) -> str:
        created = client.post("/api/v1/referrals", headers=sender, json=referral_body(
            hospital.institution_id, priority=priority))
        assert created.status_code == 201, created.get_json()
        return created.get_json()["id"]

    send.reader = bearer(token_for(hospital))
    return send


def _due(app, referral_id: str, moment: datetime) -> None:
    """As if the referral had been submitted long enough ago to expire at ``moment``."""
    with transaction(app) as session:
        session.get(Referral, uuid.UUID(referral_id)).expires_at = moment


def _list(client, reader, **query) -> dict:
    response = client.get("/api/v1/referrals", headers=reader,
                          query_string={"total": "true", **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_green_channel_due_in_5_minutes_lists_before_routine_due_tomorrow(app, client, inbox):
    green = inbox("green_channel")
    routine = inbox("routine")  # sent later: newest first lists it first
    _due(app, routine, datetime.now(UTC) + timedelta(days=1))
    decided = inbox("urgent")
    assert client.post(f"/api/v1/referrals/{decided}/transitions", headers=inbox.reader,
                       json={"status": "received"}).status_code == 200
    assert client.post(f"/api/v1/referrals/{decided}/transitions", headers=inbox.reader,
                       json={"status": "accepted"}).status_code == 200

    newest = _list(client, inbox.reader)
    assert [r["id"] for r in newest["items"]] == [decided, routine, green]
    by_deadline = _list(client, inbox.reader, sort="deadline")
    assert [r["id"] for r in by_deadline["items"]] == [green, routine, decided]
    first = by_deadline["items"][0]
    assert first["due_at"] == first["receipt_due_at"]
    assert datetime.fromisoformat(first["due_at"]) - datetime.fromisoformat(
        first["submitted_at"]) == timedelta(minutes=5)
    assert by_deadline["items"][2]["due_at"] is None  # accepted: nothing is due
    assert by_deadline["counts_by_priority"] == {"routine": 1, "urgent": 1, "green_channel": 1}

    paged, cursor = [], None
    while True:  # one by one, the keyset cursor keeps the deadline order
        page = _list(client, inbox.reader, sort="deadline", limit=1,
                     **({"cursor": cursor} if cursor else {}))
        paged += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [green, routine, decided]


def test_inbox_filters_by_priority_status_and_deadline(app, client, inbox):
    green = inbox("green_channel")
    routine = inbox("routine")
    urgent = inbox("urgent")
    _due(app, routine, datetime.now(UTC) + timedelta(days=1))

    two = _list(client, inbox.reader, priority=["green_channel", "routine"], sort="deadline")
    assert [r["id"] for r in two["items"]] == [green, routine]
    assert two["total"] == 2
    assert two["counts_by_priority"] == {"routine": 1, "urgent": 0, "green_channel": 1}

    soon = datetime.now(UTC) + timedelta(hours=2)
    due_soon = _list(client, inbox.reader, due_before=soon.isoformat())
    assert [r["id"] for r in due_soon["items"]] == [green]
    within_two_days = _list(client, inbox.reader, sort="deadline",
                            due_before=(soon + timedelta(days=2)).isoformat())
    assert [r["id"] for r in within_two_days["items"]] == [green, routine]  # urgent: 3 days
    assert _list(client, inbox.reader, status="received")["items"] == []
    assert [r["id"] for r in _list(client, inbox.reader, status="submitted",
                                   priority="urgent")["items"]] == [urgent]


@pytest.mark.parametrize("query", [{"sort": "soonest"}, {"priority": "asap"},
                                   {"due_before": "2026-12-01T10:00:00"},  # no time zone
                                   {"due_before": "tomorrow"}])
def test_bad_triage_parameters_are_422_problems(client, inbox, query):
    response = client.get("/api/v1/referrals", headers=inbox.reader, query_string=query)
    assert response.status_code == 422
    assert response.content_type.startswith("application/problem+json")
