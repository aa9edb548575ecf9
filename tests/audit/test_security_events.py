"""Security events: refused client authentication, a replayed assertion and a refused
consent are logged in their own transaction (the refused request leaves nothing else), and
a flood is rate-limited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway import security_log
from gateway.db import transaction
from gateway.models import AuditEntry
from gateway.services.audit.security_events import (
    ASSERTION_REPLAYED,
    CLIENT_AUTH_FAILED,
    CONSENT_REFUSED,
    TokenBucket,
)


def _events(app, kind: str) -> list[AuditEntry]:
    with transaction(app) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == kind)))


def test_failed_client_authentication_and_a_replay_are_logged(app, client, make_partner):
    partner = make_partner("university")
    forged = partner.assertion(aud="http://elsewhere.test")
    assert client.post("/oauth/token", data=partner.token_form(assertion=forged)
                       ).status_code == 400
    (failed,) = _events(app, CLIENT_AUTH_FAILED)
    assert (failed.outcome, failed.object_id) == ("failure", partner.client_id)
    assertion = partner.assertion()
    assert client.post("/oauth/token", data=partner.token_form(assertion=assertion)
                       ).status_code == 200
    assert client.post("/oauth/token", data=partner.token_form(assertion=assertion)
                       ).status_code == 400
    (replayed,) = _events(app, ASSERTION_REPLAYED)
    assert replayed.object_id == partner.client_id


def test_an_unknown_client_is_not_named(app, client):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                 "client_id": "0000-made-up-name"})
    assert response.status_code in (400, 401)
    assert all(e.object_id is None for e in _events(app, CLIENT_AUTH_FAILED))


def test_a_refused_consent_is_logged_while_the_request_leaves_nothing(
        app, pair, send_referral, table_counts):
    before = table_counts()
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert response.status_code == 403
    (refused,) = _events(app, CONSENT_REFUSED)
    assert refused.actor == f"client:{pair.university.client_id}"
    assert refused.actor_institution_id == str(pair.university.institution_id)
    assert refused.detail["missing"]["purpose"] == "green_channel_referral"
    after = table_counts()
    changed = {t for t in after if after[t] != before[t]}
    assert changed <= {"audit_entries", "audit_pending"}


@pytest.fixture
def tight_bucket(app):
    """A bucket of three with (practically) no refill, restored afterwards."""
    original = app.extensions[security_log.EXTENSION_KEY]
    app.extensions[security_log.EXTENSION_KEY] = TokenBucket(burst=3, per_minute=0.001)
    yield
    app.extensions[security_log.EXTENSION_KEY] = original


def test_a_flood_of_failures_is_rate_limited(app, client, make_partner, tight_bucket):
    partner = make_partner("university")
    for _ in range(12):
        forged = partner.assertion(aud="http://elsewhere.test")
        assert client.post("/oauth/token", data=partner.token_form(assertion=forged)
                           ).status_code == 400
    assert len(_events(app, CLIENT_AUTH_FAILED)) == 3


def test_the_bucket_refills_and_counts_what_it_suppressed():
    bucket = TokenBucket(burst=2, per_minute=60)
    key = ("kind", "source")
    assert [bucket.take(key, now=0.0)[0] for _ in range(4)] == [True, True, False, False]
    assert bucket.take(key, now=1.0) == (True, 2)  # one token back after a second
    assert bucket.take(("kind", "other"), now=1.0) == (True, 0)
