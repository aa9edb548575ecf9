"""Alerts reach a person: webhook, else e-mail through a real SMTP server (aiosmtpd), listed in
the admin UI until acknowledged, and shown undelivered when no channel got through."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.simulator import SCHOOL_PATH
from gateway.db import transaction
from gateway.delivery.mail import Mailer
from gateway.delivery.worker import Worker
from gateway.models import (
    Alert,
    AlertKind,
    AuditEntry,
    Institution,
    MailState,
    OutboxMessage,
    OutboxStatus,
    Referral,
)
from gateway.services.alerts import contacts
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import sla, sla_sweep
from tests.admin_support import make_account, post_form, sign_in
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.mail_support import free_port
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, set_endpoint
from tests.support import TESTER, bearer

REGION = "minhang"


@pytest.fixture
def breach(app, client, make_partner, token_for, link):
    """A green-channel referral to a hospital; calling it runs the sweep past the receipt SLA
    and returns the referral with the alert raised for the breach."""
    school = make_partner("university", scopes=SCHOOL_SCOPES, region=REGION)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES, region=REGION)
    link(school, hospital, "referral")
    with transaction(app) as session:
        sla.set_policy(session, TESTER, hospital.institution_id, receipt_minutes=15,
                       decision_minutes=120, on_call_contact="On call <oncall@hospital.example>")
    token = bearer(token_for(school))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id), headers=token)
    created = client.post("/api/v1/referrals", headers=token, json=referral_body(
        hospital.institution_id))
    assert created.status_code == 201, created.get_json()
    referral = created.get_json()

    def run() -> tuple[dict, Alert]:
        with transaction(app) as session:
            submitted = session.get(Referral, uuid.UUID(referral["id"])).submitted_at
            done = sla_sweep.sweep(session, submitted + timedelta(minutes=16),
                                   policy=Policy.from_config(app.config))
            assert done.breaches == 1
            alert = session.scalars(select(Alert)).one()
            session.expunge(alert)
        return referral, alert

    run.hospital = hospital
    return run


def _smtp(monkeypatch, app, port: int, attempts: int = 5) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5.0)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", attempts)


def _add_contact(app, email: str, **addressee) -> None:
    with transaction(app) as session:
        contacts.add(session, TESTER, email=email, **addressee)


def _alert(app, alert_id: uuid.UUID) -> Alert:
    with transaction(app) as session:
        found = session.get(Alert, alert_id)
        session.expunge(found)
        return found


def _signed_in(app, client, region: str = REGION):
    account = make_account(app, region=region)
    assert sign_in(client, account).status_code == 302
    return account


def test_sla_breach_without_webhook_is_emailed_and_listed_until_acknowledged(
        app, client, breach, smtp_server, monkeypatch):
    _smtp(monkeypatch, app, smtp_server.port)
    _add_contact(app, "coordinators@region.example", region=REGION)
    referral, alert = breach()
    _add_contact(app, "duty@hospital.example", institution_id=breach.hospital.institution_id)
    assert alert.kind is AlertKind.SLA_BREACHED and alert.mail_state is MailState.WAITING

    Worker(app).run_once()  # no webhook for the region: the notice is skipped ...
    with transaction(app) as session:
        assert session.get(OutboxMessage, alert.message_id).status is OutboxStatus.SKIPPED
    assert Mailer(app).run_once() == 1  # ... and the alert goes by e-mail
    assert _alert(app, alert.id).mail_state is MailState.SENT

    (mail,) = smtp_server.inbox.messages
    assert sorted(mail.recipients) == ["coordinators@region.example", "duty@hospital.example",
                                       "oncall@hospital.example"]
    text = mail.text
    assert referral["subject_pseudonym"] in text
    assert f"http://gateway.test/admin/alerts#alert-{alert.id}" in text
    assert "绿色通道转介超过了承诺时限" in text and "missed its deadline" in text
    with transaction(app) as session:
        hospital_name = session.get(Institution, breach.hospital.institution_id).name
    assert hospital_name in text
    for personal in ("stu-001", "dormitory officer", "suicide"):
        assert personal not in mail.message.as_string()
    assert Mailer(app).run_once() == 0  # sent once

    account = _signed_in(app, client)
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert f'id="alert-{alert.id}" data-delivery="email"' in page
    assert referral["subject_pseudonym"][:16] in page and "dormitory officer" not in page
    assert "CST" in page  # the region's time zone (Asia/Shanghai)
    board = client.get("/admin/board").get_data(as_text=True)
    assert "1 项未处理" in board and "undelivered-alerts" not in board

    done = post_form(client, "/admin/alerts", f"/admin/alerts/{alert.id}/acknowledge", {})
    assert done.status_code == 302
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert f'id="alert-{alert.id}"' not in page
    with transaction(app) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "alert.acknowledged")).one()
        assert (entry.actor, entry.object_id) == (account.label, str(alert.id))
        actions = set(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "alert")))
        assert actions == {"alert.raised", "alert.emailed", "alert.acknowledged"}
    again = post_form(client, "/admin/alerts", f"/admin/alerts/{alert.id}/acknowledge", {})
    assert again.status_code == 409


def test_with_smtp_down_too_the_board_shows_the_alert_undelivered(
        app, client, breach, monkeypatch):
    _smtp(monkeypatch, app, free_port(), attempts=2)  # nothing listens there
    _add_contact(app, "coordinators@region.example", region=REGION)
    _, alert = breach()
    Worker(app).run_once()
    now = datetime.now(alert.created_at.tzinfo)
    mailer = Mailer(app, clock=lambda: now)
    assert mailer.run_once() == 1
    first = _alert(app, alert.id)
    assert (first.mail_state, first.mail_attempts, first.mail_error) == (
        MailState.DUE, 1, "ConnectionRefusedError")  # retried later, with backoff
    _signed_in(app, client)
    assert "undelivered-alerts" not in client.get("/admin/board").get_data(as_text=True)

    now += timedelta(minutes=5)
    assert mailer.run_once() == 1
    assert _alert(app, alert.id).mail_state is MailState.FAILED
    board = client.get("/admin/board").get_data(as_text=True)
    assert 'id="undelivered-alerts"' in board and 'class="late undelivered"' in board
    assert "1 项未能通过任何渠道送达" in board
    with transaction(app) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "alert.undelivered")).one()
        assert entry.detail["error"] == "ConnectionRefusedError"


def test_no_contact_means_undelivered_at_once(app, client, breach, smtp_server, monkeypatch):
    _smtp(monkeypatch, app, smtp_server.port)
    with transaction(app) as session:  # the on-call contact is a pager, not an address
        sla.set_policy(session, TESTER, breach.hospital.institution_id, receipt_minutes=15,
                       decision_minutes=120, on_call_contact="duty psychiatrist pager 7001")
    _, alert = breach()
    Worker(app).run_once()
    Mailer(app).run_once()
    found = _alert(app, alert.id)
    assert (found.mail_state, found.mail_error) == (MailState.FAILED, "no alert contact")
    assert smtp_server.inbox.messages == []


def test_no_smtp_server_configured_means_undelivered(app, breach, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    _add_contact(app, "coordinators@region.example", region=REGION)
    _, alert = breach()
    Worker(app).run_once()
    Mailer(app).run_once()
    assert _alert(app, alert.id).mail_error == "no SMTP server configured"


def test_a_delivered_webhook_needs_no_email(app, client, breach, simulator, smtp_server,
                                            monkeypatch):
    _smtp(monkeypatch, app, smtp_server.port)
    _add_contact(app, "coordinators@region.example", region=REGION)
    simulator.secrets[SCHOOL_PATH] = set_endpoint(app, "webhook",
                                                  simulator.base_url + SCHOOL_PATH, region=REGION)
    _, alert = breach()
    Mailer(app).run_once()  # the webhook is still pending: the alert waits
    assert _alert(app, alert.id).mail_state is MailState.WAITING
    Worker(app).run_once()
    Mailer(app).run_once()
    assert _alert(app, alert.id).mail_state is MailState.NOT_NEEDED
    assert smtp_server.inbox.messages == []
    with transaction(app) as session:
        payload = json.loads(session.get(OutboxMessage, alert.message_id).payload)
    assert payload["alert_id"] == str(alert.id)
    _signed_in(app, client)
    assert f'id="alert-{alert.id}" data-delivery="webhook"' in client.get(
        "/admin/alerts").get_data(as_text=True)


def test_a_dead_lettered_webhook_falls_back_to_email(app, breach, smtp_server, monkeypatch):
    _smtp(monkeypatch, app, smtp_server.port)
    _add_contact(app, "coordinators@region.example", region=REGION)
    set_endpoint(app, "webhook", f"http://127.0.0.1:{free_port()}/hook", region=REGION)
    _, alert = breach()
    now = datetime.now(alert.created_at.tzinfo)
    worker = Worker(app, clock=lambda: now)
    for _ in range(3):  # DELIVERY_MAX_ATTEMPTS in tests
        worker.run_once()
        now += timedelta(seconds=1)
    with transaction(app) as session:
        assert session.get(OutboxMessage, alert.message_id).status is OutboxStatus.DEAD
    Mailer(app).run_once()
    assert _alert(app, alert.id).mail_state is MailState.SENT
    assert len(smtp_server.inbox.messages) == 1


def test_alerts_and_contacts_stay_in_their_region(app, client, breach, make_partner):
    _, alert = breach()
    elsewhere = make_partner("hospital", region="r2")
    _add_contact(app, "other@region.example", region="r2")
    _signed_in(app, client, region="r2")
    assert f"alert-{alert.id}" not in client.get("/admin/alerts").get_data(as_text=True)
    refused = post_form(client, "/admin/alerts", f"/admin/alerts/{alert.id}/acknowledge", {})
    assert refused.status_code == 404

    page = client.get("/admin/alerts/contacts").get_data(as_text=True)
    assert "other@region.example" in page
    assert f'value="institution:{breach.hospital.institution_id}"' not in page
    bad = post_form(client, "/admin/alerts/contacts", "/admin/alerts/contacts",
                    {"addressee": f"institution:{elsewhere.institution_id}",
                     "email": "not an address"})
    assert bad.status_code == 422
    added = post_form(client, "/admin/alerts/contacts", "/admin/alerts/contacts",
                      {"addressee": f"institution:{elsewhere.institution_id}",
                       "email": "duty@r2-hospital.example"})
    assert added.status_code == 302
    twice = post_form(client, "/admin/alerts/contacts", "/admin/alerts/contacts",
                      {"addressee": f"institution:{elsewhere.institution_id}",
                       "email": "DUTY@r2-hospital.example"})
    assert twice.status_code == 409
    with transaction(app) as session:
        theirs = contacts.listed(session, region=REGION)
        assert theirs == []
        _added = contacts.add(session, TESTER, email="coord@minhang.example", region=REGION)
        contact_id = _added.id
    gone = post_form(client, "/admin/alerts/contacts",
                     f"/admin/alerts/contacts/{contact_id}/remove", {})
    assert gone.status_code == 404
