"""Every log line of the demo scenario (``make run``'s runner): JSON with request ids, and no
token, secret, name, phone, note text or pseudonym anywhere.

The runner uses an SQLite file in its own instance (it is the demo), so this test is the same on
both test databases.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from joserfc.jwk import ECKey

from gateway.demo.circulation import STUDENT
from tests.live_support import _free_port
from tests.support import Partner, bearer

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 120  # the machine may be busy: a bound, never a measured time
NAME, PHONE, NOTE = "测试学生 Lin Xiaoyu", "+86 138 0013 8000", "sleeps badly since the exam 7319"
DEMO_TEXTS = ("Student expressed a plan; dormitory officer escalated.", "Deputy head Wang",
              "counsellor Li", "24h watch; parents informed")


def _wait(lines: list[str], pattern: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if any(re.search(pattern, line) for line in list(lines)):
            return
        time.sleep(0.2)
    raise AssertionError(f"no line matching {pattern!r}:\n{''.join(lines)}")


def _partner(network: dict, kind: str) -> Partner:
    entry = next(p for p in network["partners"] if p["kind"] == kind)
    key = ECKey.import_key(json.loads(Path(entry["private_key_file"]).read_text()))
    return Partner(entry["client_id"], entry["institution_id"], key, network["issuer"])


def _scenario(url: str, network: dict) -> list[str]:
    """What a university and a hospital do through the API; the secrets it handled."""
    university, hospital = _partner(network, "university"), _partner(network, "hospital")
    forms = [university.token_form(), hospital.token_form()]
    tokens = [requests.post(url + "/oauth/token", data=form, timeout=10).json()["access_token"]
              for form in forms]
    subject = f"stu-{uuid.uuid4().hex[:8]}"
    consent = requests.post(url + "/api/v1/consents", headers=bearer(tokens[0]), timeout=10, json={
        "subject_ref": subject, "grantor": "student", "purpose": "referral",
        "recipient_institution_id": hospital.institution_id, "subject_birth_date": "2004-03-01",
        "data_categories": ["identity", "contact", "clinical_notes"],
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert consent.status_code == 201, consent.json()
    referral = requests.post(url + "/api/v1/referrals", headers=bearer(tokens[0]), timeout=10,
                             json={"recipient_institution_id": hospital.institution_id,
                                   "subject_ref": subject, "priority": "routine",
                                   "reason": "suicide_risk", "summary": NOTE,
                                   "identity": {"name": NAME, "date_of_birth": "2004-03-01"},
                                   "contact": {"phone": PHONE}})
    assert referral.status_code == 201, referral.json()
    inbox = requests.get(url + "/api/v1/referrals", params={"box": "inbox"},
                         headers=bearer(tokens[1]), timeout=10).json()["items"]
    pseudonyms = [item["subject_pseudonym"] for item in inbox]
    # a refusal carries the request id the caller chose, in the header and the problem
    refused = requests.post(url + "/api/v1/referrals", headers={
        **bearer(tokens[0]), "X-Request-ID": "partner-req-0001"}, json={"summary": NOTE},
        timeout=10)
    assert refused.status_code == 422
    assert refused.headers["X-Request-ID"] == "partner-req-0001"
    assert refused.json()["request_id"] == "partner-req-0001"
    # an insane one is replaced by a fresh id
    odd = requests.get(url + "/api/v1/referrals/not-a-uuid", timeout=10,
                       headers={"X-Request-ID": "x\u00e9" + NAME[-4:]})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-ID"])
    assert odd.json()["request_id"] == odd.headers["X-Request-ID"]
    wrong = requests.post(url + "/oauth/token", timeout=10, data={
        "grant_type": "client_credentials"}, auth=(network["admin"]["client_id"], "wrong-secret"))
    assert wrong.status_code == 401
    return [*tokens, *(form["client_assertion"] for form in forms), *pseudonyms, subject]


def test_demo_logs_are_json_with_request_ids_and_hold_no_secret_or_personal_data(tmp_path):
    port, simulator_port = _free_port(), _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    env.update(GATEWAY_INSTANCE_PATH=str(tmp_path), GATEWAY_DELIVERY_POLL_INTERVAL="0.2")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.demo.runner", "--port", str(port),
         "--simulator-port", str(simulator_port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        _wait(lines, r"^demo +\| ready: ")
        _wait(lines, r"^simulator +\| POST /hospital/fhir -> 200 ")
        network = json.loads((tmp_path / "demo" / "network.json").read_text())
        handled = _scenario(f"http://127.0.0.1:{port}", network)
        _wait(lines, r'^deliver +\| \{.*"delivery of .*: delivered"')
        time.sleep(1)  # the hospital's delivery of the new referral, if due, is logged too
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT_SECONDS)
        reader.join(timeout=10)
    logged = "".join(lines)
    secrets = [network["admin"]["client_secret"], network["coordinator"]["password"],
               network["coordinator"]["totp_secret"], *network["delivery"]["hospital_secrets"],
               *network["delivery"]["school_secrets"]]
    for private_key in (tmp_path / "demo").glob("*.jwk.json"):
        secrets.append(json.loads(private_key.read_text())["d"])
    forbidden = [*secrets, *handled, NAME, PHONE, PHONE.replace(" ", ""), NOTE, STUDENT,
                 *DEMO_TEXTS]
    leaked = [value for value in forbidden if value in logged]
    assert leaked == [], f"{len(leaked)} forbidden values in the logs"
    # the workers' lines are JSON objects with a request id per batch
    worker_lines = [json.loads(line.split("| ", 1)[1]) for line in lines
                    if line.startswith("deliver") and "delivery of" in line]
    assert worker_lines and all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])
                                for entry in worker_lines)
    assert {entry["level"] for entry in worker_lines} <= {"INFO", "WARNING"}
    # the access log names the request id the partner chose
    assert any("partner-req-0001" in line for line in lines if line.startswith("api"))
