"""The referral board reads the lifecycle's own SLA deadlines and decision times."""

from __future__ import annotations

import uuid
from datetime import timedelta

from gateway.db import transaction
from gateway.models import Referral
from gateway.services.coordination import board
from gateway.services.referrals import sla
from tests.support import TESTER, bearer


def _green_referral(client, pair, grant_consent, send_referral) -> uuid.UUID:
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert response.status_code == 201, response.get_json()
    return uuid.UUID(response.get_json()["id"])


def test_queue_uses_the_recipients_sla_and_moves_to_the_decision_stage(
        app, client, pair, grant_consent, send_referral):
    with transaction(app) as session:
        sla.set_policy(session, TESTER, pair.hospital.institution_id, receipt_minutes=5,
                       decision_minutes=45, on_call_contact=None)
    referral_id = _green_referral(client, pair, grant_consent, send_referral)
    with transaction(app) as session:
        [item] = board.summary(session, None).green_channel
        assert (item.referral_id, item.stage) == (referral_id, "receipt")
        assert 3 <= item.minutes_left <= 5
    received = client.post(f"/api/v1/referrals/{referral_id}/transitions",
                           json={"status": "received"}, headers=bearer(pair.hosp_token))
    assert received.status_code == 200, received.get_json()
    with transaction(app) as session:
        referral = session.get(Referral, referral_id)  # an hour has passed
        for name in ("submitted_at", "received_at", "receipt_due_at", "decision_due_at"):
            setattr(referral, name, getattr(referral, name) - timedelta(hours=1))
    with transaction(app) as session:
        summary = board.summary(session, [pair.hospital.institution_id])
        [item] = summary.green_channel
        assert item.stage == "decision" and -16 <= item.minutes_left <= -14
        assert summary.breaches == 1
        assert summary.counts["received"] == 1


def test_time_to_decision_comes_from_the_referral(app, client, pair, grant_consent,
                                                  send_referral):
    referral_id = _green_referral(client, pair, grant_consent, send_referral)
    accepted = client.post(f"/api/v1/referrals/{referral_id}/transitions",
                           json={"status": "accepted"}, headers=bearer(pair.hosp_token))
    assert accepted.status_code == 200
    with transaction(app) as session:
        referral = session.get(Referral, referral_id)
        referral.submitted_at -= timedelta(minutes=90)
    with transaction(app) as session:
        summary = board.summary(session, None)
        assert summary.decision_minutes == [90]
        assert summary.green_channel == []
        assert {b["upto"]: b["count"] for b in summary.histogram()}[120] == 1
