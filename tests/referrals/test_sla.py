"""Green-channel SLAs with a controllable clock: a missed receipt escalates exactly once."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, OutboxMessage, Referral
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import sla, sla_sweep
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, consent_body, referral_body
from tests.support import TESTER, bearer


@pytest.fixture
def send(client, make_partner, token_for, link, app):
    """Send a referral of some priority to a hospital with an on-call contact."""
    school = make_partner("university", scopes=SCHOOL_SCOPES, region="minhang")
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES, region="minhang")
    link(school, hospital, "referral")
    with transaction(app) as session:
        sla.set_policy(session, TESTER, hospital.institution_id, receipt_minutes=15,
                       decision_minutes=120, on_call_contact="duty psychiatrist pager 7001")
    token = bearer(token_for(school))
    for purpose in ("green_channel_referral", "referral"):
        client.post("/api/v1/consents", json=consent_body(hospital.institution_id,
                                                          purpose=purpose), headers=token)

    def make(priority: str = "green_channel") -> tuple[uuid.UUID, datetime]:
        body = referral_body(hospital.institution_id, priority=priority)
        rid = uuid.UUID(client.post("/api/v1/referrals", json=body, headers=token).json["id"])
        with transaction(app) as session:
            return rid, session.get(Referral, rid).submitted_at

    make.hospital = hospital
    make.token = bearer(token_for(hospital))
    return make


def _sweep(app, at: datetime) -> sla_sweep.Sweep:
    with transaction(app) as session:
        return sla_sweep.sweep(session, at, policy=Policy.from_config(app.config))


def _escalations(app) -> list[tuple[uuid.UUID | None, str | None, dict]]:
    with transaction(app) as session:
        return [(m.recipient_institution_id, m.recipient_region, json.loads(m.payload))
                for m in session.scalars(select(OutboxMessage).where(
                    OutboxMessage.topic == "referral.sla_breached"))]


def test_missed_receipt_escalates_exactly_once(app, send, row_count):
    rid, submitted = send("green_channel")
    routine_id, _ = send("routine")
    assert _sweep(app, submitted + timedelta(minutes=14)).breaches == 0
    assert _escalations(app) == []

    assert _sweep(app, submitted + timedelta(minutes=16)).breaches == 1
    assert _sweep(app, submitted + timedelta(minutes=17)).breaches == 0
    assert _sweep(app, submitted + timedelta(minutes=30)).breaches == 0
    assert row_count("sla_breaches") == 1

    messages = _escalations(app)
    assert sorted((to is not None, region) for to, region, _ in messages) == [
        (False, "minhang"), (True, None)]
    to_hospital = next(payload for to, _, payload in messages if to == send.hospital.institution_id)
    assert to_hospital["sla"] == "receipt"
    assert to_hospital["on_call_contact"] == "duty psychiatrist pager 7001"
    assert to_hospital["referral_id"] == str(rid)
    to_region = next(payload for to, _, payload in messages if to is None)
    assert "on_call_contact" not in to_region and "referral" not in to_region
    with transaction(app) as session:
        audited = list(session.scalars(select(AuditEntry.object_id).where(
            AuditEntry.action == "referral.sla_breached")))
    assert audited == [str(rid)]
    assert str(routine_id) not in audited


def test_decision_breach_is_separate_and_receipt_in_time_prevents_escalation(
        app, client, send, row_count):
    rid, submitted = send("green_channel")
    received = client.post(f"/api/v1/referrals/{rid}/transitions", json={"status": "received"},
                           headers=send.token)
    assert received.status_code == 200
    assert _sweep(app, submitted + timedelta(minutes=60)).breaches == 0
    assert _sweep(app, submitted + timedelta(minutes=121)).breaches == 1
    assert _sweep(app, submitted + timedelta(minutes=122)).breaches == 0
    assert [p["sla"] for to, _, p in _escalations(app) if to] == ["decision"]
    assert row_count("sla_breaches") == 1


def test_referral_never_received_expires_and_the_sender_is_told(app, send):
    rid, submitted = send("green_channel")
    done = _sweep(app, submitted + timedelta(days=1, minutes=1))
    assert done.expired == 1
    with transaction(app) as session:
        assert session.get(Referral, rid).status.value == "expired"
        topics = list(session.scalars(select(OutboxMessage.topic).where(
            OutboxMessage.recipient_institution_id != send.hospital.institution_id)))
    assert "referral.expired" in topics
    assert _sweep(app, submitted + timedelta(days=2)).expired == 0


def test_scheduler_command_runs_one_sweep(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
