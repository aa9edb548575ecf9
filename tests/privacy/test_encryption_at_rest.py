"""After a demo-like scenario, no student name, phone number or note is in the database dump."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.db import engine_of
from tests.factories.privacy import GUARDIAN_PHONE, NAME, NOTE, PHONE, RISK_NOTE
from tests.support import bearer

OUTCOME = "Admitted to the adolescent ward; family meeting on Friday."
JUSTIFICATION = "Second student threatened to jump; guardian not reachable at all."


def _dump(app) -> bytes:
    engine = engine_of(app)
    url = engine.url
    if engine.dialect.name == "sqlite":  # the database file and its write-ahead log
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed for this test on PostgreSQL")
    libpq = make_url(url.render_as_string(False)).set(drivername="postgresql")
    return subprocess.run([pg_dump, "--data-only", "--inserts", libpq.render_as_string(False)],
                          check=True, capture_output=True).stdout


def test_no_personal_data_in_plaintext(app, client, make_partner, token_for, link):
    from tests.privacy_support import make_scene

    scene = make_scene(client, make_partner, token_for, link, university_scopes=[
        "referrals:read", "referrals:write", "referrals:emergency", "consents:write"])
    scene.consent(["identity", "contact", "guardian_contact", "risk_assessment",
                   "clinical_notes", "school_record"])
    scene.consent(["clinical_notes"], purpose="follow_up")
    referral = scene.refer(["identity", "contact", "guardian_contact", "risk_assessment",
                            "school_record", "summary"]).get_json()
    assert scene.read(referral["id"]).get_json()["identity"]["name"] == NAME
    for change in ({"status": "accepted"}, {"status": "completed", "note": OUTCOME}):
        assert client.post(f"/api/v1/referrals/{referral['id']}/transitions", json=change,
                           headers=bearer(scene.hosp_token)).status_code == 200
    emergency = scene.refer(["identity", "contact"], subject="stu-002", priority="green_channel",
                            emergency_justification=JUSTIFICATION)
    assert emergency.status_code == 201

    dump = _dump(app)
    assert b"suicide_risk" in dump  # the dump is real: coded, non-personal values are there
    for secret in (NAME, PHONE, GUARDIAN_PHONE, NOTE, RISK_NOTE, OUTCOME, JUSTIFICATION,
                   "stu-001", "2004-03-01", "Absent 9 days"):
        assert secret.encode() not in dump, secret
