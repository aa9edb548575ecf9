"""End to end against a real gunicorn (2 workers) on the session database, over HTTP only.

The network admin is bootstrapped with the real CLI; everything else goes through the API with
``requests``. ``flask --app gateway audit seal`` and ``audit verify`` then check the log the run
left behind.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select, update

from gateway.db import engine_of
from gateway.models import AuditEntry
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.live_support import TIMEOUT, Live
from tests.live_support import token as _token
from tests.support import Partner, new_key, public_jwks

pytestmark = pytest.mark.live


@dataclass
class HappyPath:
    """What the happy path left behind."""

    referral_id: str
    sender_view: dict


@pytest.fixture
def happy_path(live: Live) -> HappyPath:
    """Bootstrap an admin with the CLI, then run the referral slice over HTTP only."""
    added = live.cli("clients", "add", "--name", "coordination", "--scope", "network:admin")
    assert added.returncode == 0, added.stderr
    admin_id = re.search(r"client_id=(\S+)", added.stdout).group(1)
    admin_secret = re.search(r"client_secret=(\S+)", added.stdout).group(1)
    http = requests.Session()
    issued = http.post(live.url + "/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(admin_id, admin_secret), timeout=TIMEOUT)
    assert issued.status_code == 200, issued.text
    admin = {"Authorization": "Bearer " + issued.json()["access_token"]}

    def admin_post(path: str, body: dict) -> dict:
        response = http.post(live.url + "/api/v1/network" + path, json=body, headers=admin,
                             timeout=TIMEOUT)
        assert response.status_code in (200, 201), response.text
        return response.json()

    partners = {}
    for kind, scopes in (("university", ["referrals:read", "referrals:write", "consents:write"]),
                         ("hospital", ["referrals:read", "referrals:write"])):
        institution = admin_post("/institutions", {"name": f"Live {kind}", "kind": kind,
                                                   "region": "shanghai-minhang", "country": "CN"})
        key = new_key()
        registered = admin_post("/clients", {"name": f"{kind} client", "scopes": scopes,
                                             "institution_id": institution["id"],
                                             "jwks": public_jwks(key)})
        assert "client_secret" not in registered
        partners[kind] = Partner(registered["client_id"], institution["id"], key, live.url,
                                 scopes)
    university, hospital = partners["university"], partners["hospital"]
    now = datetime.now(UTC)
    partnership = admin_post("/partnerships", {
        "institution_ids": [university.institution_id, hospital.institution_id],
        "exchanges": ["referral"], "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=365)).isoformat()})
    assert admin_post(f"/partnerships/{partnership['id']}/status",
                      {"status": "active"})["status"] == "active"

    uni = {"Authorization": "Bearer " + _token(live, university)}
    hosp = {"Authorization": "Bearer " + _token(live, hospital)}
    consent = http.post(live.url + "/api/v1/consents", headers=uni, timeout=TIMEOUT, json={
        "subject_ref": SUBJECT_REF, "grantor": "guardian", "purpose": "green_channel_referral",
        "subject_birth_date": "2014-05-01", "data_categories": ["clinical_notes"],
        "recipient_institution_id": hospital.institution_id,
        "valid_until": (now + timedelta(days=90)).isoformat()})
    assert consent.status_code == 201, consent.text
    created = http.post(live.url + "/api/v1/referrals", headers=uni, timeout=TIMEOUT,
                        json=referral_body(hospital.institution_id))
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]

    inbox = http.get(live.url + "/api/v1/referrals", params={"box": "inbox"}, headers=hosp,
                     timeout=TIMEOUT)
    assert [item["id"] for item in inbox.json()["items"]] == [referral_id]
    accepted = http.post(f"{live.url}/api/v1/referrals/{referral_id}/transitions",
                         json={"status": "accepted"}, headers=hosp, timeout=TIMEOUT)
    assert accepted.status_code == 200, accepted.text
    seen = http.get(f"{live.url}/api/v1/referrals/{referral_id}", headers=uni, timeout=TIMEOUT)
    assert seen.status_code == 200, seen.text
    return HappyPath(referral_id, seen.json())


def test_happy_path_over_http_then_audit_verifies(live, happy_path):
    assert happy_path.sender_view["status"] == "accepted"
    assert SUBJECT_REF not in str(happy_path.sender_view)
    assert live.cli("audit", "seal").returncode == 0
    verified = live.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log intact: ")
    assert "intact: 0 entries" not in verified.stdout  # the run's entries were sealed and checked


def test_an_updated_audit_row_fails_verify_naming_it(app, live, happy_path):
    assert live.cli("audit", "seal").returncode == 0
    with engine_of(app).begin() as connection:
        seq, leaf = connection.execute(select(AuditEntry.seq, AuditEntry.leaf_index).where(
            AuditEntry.action == "referral.created")).one()
        connection.execute(update(AuditEntry).where(AuditEntry.seq == seq)
                           .values(purpose="research"))
    verified = live.cli("audit", "verify")
    assert verified.returncode != 0
    assert f"entry {leaf}:" in verified.stderr


def test_a_client_assertion_is_spent_once_across_workers(live, make_partner, row_count):
    partner = replace(make_partner("university"), issuer=live.url)
    form = partner.token_form()
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(
            lambda _: requests.post(live.url + "/oauth/token", data=form, timeout=TIMEOUT),
            range(6)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 400, 400, 400, 400, 400], [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["error"] == "invalid_client"
    again = requests.post(live.url + "/oauth/token", data=form, timeout=TIMEOUT)
    assert again.status_code == 400
    assert row_count("used_assertions") == 1
