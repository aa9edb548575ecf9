"""The case side's alerts reach a person too: a hospital's hand-back and an overdue crisis
review each raise an alert that, with no webhook configured, goes by e-mail (a real aiosmtpd
server) to the school's contact, carrying no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.delivery.mail import Mailer
from gateway.delivery.worker import Worker
from gateway.models import Alert, AlertKind, Case, MailState, utcnow
from gateway.services.alerts import contacts
from gateway.services.cases import review_sweep
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import TESTER, bearer

REGION = "minhang"
SCHOOL_MAIL = "counselling@school.example"
ADVICE = "Continue sertraline; no night study."


@pytest.fixture
def school(app, client, make_partner, token_for, link, smtp_server, monkeypatch):
    """A university with an alert contact and a hospital partner; SMTP is the local server."""
    university = make_partner("university", scopes=SCHOOL_SCOPES, region=REGION)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES, region=REGION)
    link(university, hospital, "referral")
    for name, value in (("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", smtp_server.port),
                        ("MAIL_TIMEOUT", 5.0)):
        monkeypatch.setitem(app.config, name, value)
    with transaction(app) as session:
        contacts.add(session, TESTER, email=SCHOOL_MAIL, institution_id=university.institution_id)
    university.token, hospital.token = bearer(token_for(university)), bearer(token_for(hospital))
    university.hospital = hospital
    return university


def _alerts(app) -> list[Alert]:
    with transaction(app) as session:
        found = list(session.scalars(select(Alert).order_by(Alert.created_at)))
        session.expunge_all()
    return found


def _deliver(app) -> None:
    Worker(app).run_once()  # no webhook anywhere: the notices are skipped ...
    assert Mailer(app).run_once() >= 1  # ... and the alerts go by e-mail


def _open_case(client, school) -> dict:
    created = client.post("/api/v1/cases", json=crisis_case_body(), headers=school.token)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_a_hand_back_alerts_the_school_by_email(app, client, school, smtp_server):
    hospital = school.hospital
    for purpose in ("green_channel_referral", "follow_up"):
        assert client.post("/api/v1/consents", headers=school.token, json=consent_body(
            hospital.institution_id, purpose=purpose)).status_code == 201
    case = _open_case(client, school)
    referral = client.post("/api/v1/referrals", headers=school.token, json=referral_body(
        hospital.institution_id, case_id=case["id"])).get_json()
    assert client.post(f"/api/v1/referrals/{referral['id']}/transitions", headers=hospital.token,
                       json={"status": "accepted"}).status_code == 200
    assert _alerts(app) == []
    sent = client.post(f"/api/v1/referrals/{referral['id']}/hand-back", headers=hospital.token,
                       json={"discharge_advice": ADVICE, "follow_up_after_days": [7, 30],
                             "return_to_school_advised": False})
    assert sent.status_code == 201, sent.get_json()

    (alert,) = _alerts(app)
    assert (alert.kind, alert.cause_type, alert.cause_id) == (
        AlertKind.HANDED_BACK, "hand_back", uuid.UUID(sent.get_json()["id"]))
    assert (alert.institution_id, alert.region) == (school.institution_id, REGION)
    _deliver(app)
    (mail,) = smtp_server.inbox.messages
    assert mail.recipients == [SCHOOL_MAIL]
    assert "医院已将学生交回学校" in mail.text and "handed a student back" in mail.text
    for personal in (ADVICE, SUBJECT_REF, "Deputy head Wang"):
        assert personal not in mail.message.as_string()
    assert _alerts(app)[0].mail_state is MailState.SENT


def test_an_overdue_crisis_review_alerts_once_per_missed_review(app, client, school,
                                                              smtp_server):
    case = _open_case(client, school)
    with transaction(app) as session:
        due = session.get(Case, uuid.UUID(case["id"])).next_review_at
    assert due is not None

    def sweep(at: datetime) -> int:
        with transaction(app) as session:
            return review_sweep.sweep(session, at)

    assert sweep(due - timedelta(minutes=1)) == 0  # not due yet
    with transaction(app) as session:  # three days pass: the review fell due a minute ago
        session.get(Case, uuid.UUID(case["id"])).next_review_at = utcnow() - timedelta(minutes=1)
    assert sweep(utcnow()) == 1
    assert sweep(utcnow() + timedelta(hours=1)) == 0  # raised once for this missed review
    (alert,) = _alerts(app)
    assert (alert.kind, alert.cause_id) == (AlertKind.CRISIS_REVIEW_OVERDUE,
                                            uuid.UUID(case["id"]))
    _deliver(app)
    (mail,) = smtp_server.inbox.messages
    assert mail.recipients == [SCHOOL_MAIL] and "A crisis-tier review is overdue" in mail.text
    for personal in (SUBJECT_REF, "Deputy head Wang", "24h watch"):
        assert personal not in mail.message.as_string()

    reviewed = client.post(f"/api/v1/cases/{case['id']}/reviews", headers=school.token,
                           json={"attention_tier": "crisis", "note": "Still at risk."})
    assert reviewed.status_code == 201, reviewed.get_json()
    moved_on = datetime.fromisoformat(reviewed.get_json()["next_review_at"])
    assert sweep(moved_on - timedelta(minutes=1)) == 0  # the review moved the deadline on
    assert sweep(moved_on + timedelta(minutes=1)) == 1  # the next miss is a new alert
    assert len(_alerts(app)) == 2


def test_only_crisis_cases_are_swept(app, client, school):
    key_case = client.post("/api/v1/cases", headers=school.token,
                           json=crisis_case_body(attention_tier="key"))
    assert key_case.status_code == 201, key_case.get_json()
    with transaction(app) as session:
        due = session.get(Case, uuid.UUID(key_case.get_json()["id"])).next_review_at
        assert review_sweep.sweep(session, due + timedelta(days=1)) == 0
    assert _alerts(app) == []
