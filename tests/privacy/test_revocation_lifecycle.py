"""A revocation withdraws through the referral lifecycle (issue 10, bug 2).

Whichever way a referral is withdrawn — by its sender, or because its consent was revoked — its
history, its case and the recipient's notice are the same.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, OutboxMessage
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF, referral_body


@pytest.fixture
def school(client, linked):
    """A university with a crisis case and a partner hospital; the university's token."""
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=linked.school_headers)
    assert case.status_code == 201, case.get_json()
    return linked.school, linked.hospital, linked.school_headers, case.get_json()


def _refer(client, school, subject: str, **extra: object) -> tuple[str, str]:
    """A consent and a referral of ``subject`` to the school's hospital; their ids."""
    _university, hospital, token, _case = school
    granted = client.post("/api/v1/consents", headers=token,
                          json=consent_body(hospital.institution_id, subject))
    assert granted.status_code == 201, granted.get_json()
    sent = client.post("/api/v1/referrals", headers=token,
                       json=referral_body(hospital.institution_id, subject, **extra))
    assert sent.status_code == 201, sent.get_json()
    return granted.get_json()["id"], sent.get_json()["id"]


def _history(client, token, referral_id: str) -> list[tuple[str | None, str | None]]:
    events = client.get(f"/api/v1/referrals/{referral_id}/events", headers=token)
    assert events.status_code == 200, events.get_json()
    return [(e["from_status"], e["to_status"]) for e in events.get_json()]


def _notice(app, referral_id: str) -> dict:
    with transaction(app) as session:
        payloads = [json.loads(m.payload) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "referral.withdrawn"))]
    return next(p for p in payloads if p["referral"]["id"] == referral_id)


def test_a_revoked_consent_withdraws_like_the_sender_would(app, client, school):
    _university, _hospital, token, case = school
    consent_id, revoked_referral = _refer(client, school, SUBJECT_REF, case_id=case["id"])
    _other_consent, withdrawn_referral = _refer(client, school, "stu-2024-0077")
    by_sender = client.post(f"/api/v1/referrals/{withdrawn_referral}/transitions",
                            json={"status": "withdrawn"}, headers=token)
    assert by_sender.status_code == 200, by_sender.get_json()

    revoked = client.post(f"/api/v1/consents/{consent_id}/revoke", headers=token,
                          json={"reason": "student withdrew"})
    assert revoked.status_code == 200, revoked.get_json()

    # the history records the withdrawal, as the sender's own does
    assert _history(client, token, revoked_referral) == [
        ("draft", "submitted"), ("submitted", "withdrawn")]
    assert _history(client, token, revoked_referral) == _history(client, token,
                                                                 withdrawn_referral)
    # the case hears the outcome
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=token).get_json()
    outcomes = [(e["referral_id"], e["referral_status"]) for e in detail["entries"]
                if e["kind"] == "referral_outcome"]
    assert outcomes == [(revoked_referral, "withdrawn")]
    # the recipient's notice has the shape of any withdrawal, minimised to nothing
    notice, usual = _notice(app, revoked_referral), _notice(app, withdrawn_referral)
    assert set(notice) == set(usual)
    assert notice["referral"]["status"] == "withdrawn"
    assert notice["referral"]["released_categories"] == []
    with transaction(app) as session:
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "referral.withdrawn",
            AuditEntry.object_id == revoked_referral)).one()
    assert audited.detail["reason_code"] == "consent_revoked"
