"""End to end against a real gunicorn (2 workers) on the session database, over HTTP only.

The network admin is bootstrapped with the real CLI; everything else goes through the API with
``requests``. ``flask --app gateway audit seal`` and ``audit verify`` then check the log the run
left behind.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gunicorn
import pytest
import requests
from sqlalchemy import select, update

from gateway.db import engine_of
from gateway.models import AuditEntry
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.support import Partner, new_key, public_jwks

pytestmark = pytest.mark.live

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10
# gunicorn 25.1+ opens a control socket in $HOME; parallel test runs must not share one.
NO_CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []


@dataclass(frozen=True)
class Live:
    """A running gateway: its base URL and the environment that configures it."""

    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``flask --app gateway ARGS`` against the same database and keys."""
        return subprocess.run([str(BIN / "flask"), "--app", "gateway", *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path,
                        within: float = 120) -> None:
    """Until ``/healthz`` answers 200 (two workers boot slowly on a loaded machine)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:  # the socket listens before the workers have booted: retry until one answers
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not become healthy:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live(app, database_url: str, key_dir: Path, tmp_path_factory) -> Iterator[Live]:
    """gunicorn -w 2 serving ``gateway:create_app()`` on a free port, stopped afterwards.

    It depends on ``app`` so that the tables are emptied after each test that uses it.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": url}
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", *NO_CONTROL_SOCKET,
             "gateway:create_app()"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, process, log)
        yield Live(url, env)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL if gunicorn has not stopped within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _token(live: Live, partner: Partner) -> str:
    response = requests.post(live.url + "/oauth/token", data=partner.token_form(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


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
