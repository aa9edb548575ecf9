"""The referral lifecycle: who may move it where, events, updates, metrics, notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, OutboxMessage
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer


@pytest.fixture
def parties(client, make_partner, token_for, link):
    """A university and a hospital in partnership, with tokens and a student's consent."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    tokens = {"school": bearer(token_for(school)), "hospital": bearer(token_for(hospital))}
    assert client.post("/api/v1/consents", json=consent_body(hospital.institution_id),
                       headers=tokens["school"]).status_code == 201
    return school, hospital, tokens


def _send(client, hospital, tokens, **extra):
    response = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id,
                                                                   **extra),
                           headers=tokens["school"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _move(client, referral_id, token, **body):
    return client.post(f"/api/v1/referrals/{referral_id}/transitions", json=body, headers=token)


def _messages(app):
    with transaction(app) as session:
        return [(m.topic, m.recipient_institution_id, json.loads(m.payload)) for m in
                session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))]


def test_forward_path_is_the_recipients_and_each_step_is_audited_and_notified(
        app, client, parties):
    school, hospital, tokens = parties
    referral = _send(client, hospital, tokens)
    rid = referral["id"]
    assert referral["status"] == "submitted"
    assert referral["receipt_due_at"] and referral["decision_due_at"]

    for status in ("received", "accepted", "in_progress"):
        moved = _move(client, rid, tokens["hospital"], status=status)
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["status"] == status
    done = _move(client, rid, tokens["hospital"], status="completed", note="Discharged.",
                 business_status="fulfillment_completed")
    assert done.get_json()["business_status"] == "fulfillment_completed"

    topics = [(topic, to) for topic, to, _ in _messages(app)]
    assert topics == [("referral.submitted", hospital.institution_id),
                      ("referral.received", school.institution_id),
                      ("referral.accepted", school.institution_id),
                      ("referral.in_progress", school.institution_id),
                      ("referral.completed", school.institution_id)]
    with transaction(app) as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == rid).order_by(AuditEntry.seq)))
    assert actions == ["referral.created", "referral.submitted", "referral.received",
                       "referral.accepted", "referral.in_progress", "referral.completed"]
    history = client.get(f"/api/v1/referrals/{rid}/events", headers=tokens["school"]).get_json()
    assert [(e["from_status"], e["to_status"]) for e in history] == [
        ("draft", "submitted"), ("submitted", "received"), ("received", "accepted"),
        ("accepted", "in_progress"), ("in_progress", "completed")]


def test_invalid_transitions_are_409_problems_and_roles_are_enforced(client, parties, row_count):
    _school, hospital, tokens = parties
    rid = _send(client, hospital, tokens)["id"]
    events = row_count("referral_events")

    early = _move(client, rid, tokens["hospital"], status="completed")
    assert early.status_code == 409
    assert early.mimetype == "application/problem+json"
    assert early.get_json()["current_status"] == "submitted"
    assert _move(client, rid, tokens["school"], status="accepted").status_code == 403
    assert _move(client, rid, tokens["hospital"], status="withdrawn").status_code == 403
    assert _move(client, rid, tokens["hospital"], status="expired").status_code == 422
    assert _move(client, rid, tokens["hospital"], status="declined",
                 reason_code="because").status_code == 422
    assert _move(client, rid, tokens["hospital"], status="declined").status_code == 422
    assert row_count("referral_events") == events

    declined = _move(client, rid, tokens["hospital"], status="declined", reason_code="no_capacity")
    assert declined.get_json()["decline_reason"] == "no_capacity"
    again = _move(client, rid, tokens["school"], status="withdrawn")
    assert again.status_code == 409


def test_draft_is_the_senders_until_submitted_and_only_the_sender_withdraws(
        app, client, parties):
    _school, hospital, tokens = parties
    draft = _send(client, hospital, tokens, draft=True)
    assert draft["status"] == "draft"
    hidden = client.get(f"/api/v1/referrals/{draft['id']}", headers=tokens["hospital"])
    assert hidden.status_code == 404
    inbox = client.get("/api/v1/referrals?box=inbox", headers=tokens["hospital"]).get_json()
    assert inbox["items"] == []
    assert _messages(app) == []

    submitted = _move(client, draft["id"], tokens["school"], status="submitted")
    assert submitted.get_json()["status"] == "submitted"
    withdrawn = _move(client, draft["id"], tokens["school"], status="withdrawn")
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert [(t, to) for t, to, _ in _messages(app)] == [
        ("referral.submitted", hospital.institution_id),
        ("referral.withdrawn", hospital.institution_id)]


def test_interim_updates_feed_back_to_the_sender_and_the_metrics(app, client, parties):
    school, hospital, tokens = parties
    rid = _send(client, hospital, tokens)["id"]
    assert _move(client, rid, tokens["hospital"], status="accepted").status_code == 200
    appointment = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)

    missing = client.post(f"/api/v1/referrals/{rid}/updates",
                          json={"business_status": "event_scheduled"},
                          headers=tokens["hospital"])
    assert missing.status_code == 422
    by_sender = client.post(f"/api/v1/referrals/{rid}/updates", json={"note": "hello"},
                            headers=tokens["school"])
    assert by_sender.status_code == 403
    update = client.post(f"/api/v1/referrals/{rid}/updates",
                         json={"business_status": "event_scheduled",
                               "appointment_at": appointment.isoformat(),
                               "note": "Outpatient assessment booked."},
                         headers=tokens["hospital"])
    assert update.status_code == 201, update.get_json()

    metrics = client.get(f"/api/v1/referrals/{rid}/metrics", headers=tokens["school"]).get_json()
    assert metrics["time_to_receipt"] >= 0
    assert metrics["time_to_decision"] >= metrics["time_to_receipt"]
    assert metrics["time_to_first_appointment"] > metrics["time_to_decision"]
    assert metrics["time_to_completion"] is None
    topic, to, payload = _messages(app)[-1]
    assert (topic, to) == ("referral.updated", school.institution_id)
    assert payload["update"] == {"business_status": "event_scheduled",
                                 "appointment_at": appointment.isoformat()}
    assert payload["referral"]["business_status"] == "event_scheduled"
    history = client.get(f"/api/v1/referrals/{rid}/events", headers=tokens["school"]).get_json()
    assert [e["note"] for e in history] == [None, None, None, None]

    # the hospital's notes reach the school only under a follow-up consent
    follow_up = consent_body(hospital.institution_id, purpose="follow_up")
    assert client.post("/api/v1/consents", json=follow_up,
                       headers=tokens["school"]).status_code == 201
    client.post(f"/api/v1/referrals/{rid}/updates", json={"note": "Attended; next in a week."},
                headers=tokens["hospital"])
    assert _messages(app)[-1][2]["update"] == {"note": "Attended; next in a week."}
    history = client.get(f"/api/v1/referrals/{rid}/events", headers=tokens["school"]).get_json()
    assert history[-1]["note"] == "Attended; next in a week."
