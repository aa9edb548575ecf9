"""Issue 16, defect 4: PostgreSQL restarted under load. Real gunicorn on a scratch cluster this
test starts itself (initdb/pg_ctl on a free port; the shared server is never touched): while
clients create referrals the cluster restarts; every answer is 201 or a 503 problem+json with
``Retry-After``, every 201 is a whole referral (audit entry included) and no 503 left anything,
and the pool recovers by itself."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from gateway.models import AuditEntry, Referral
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.live_support import (
    BIN,
    NO_CONTROL_SOCKET,
    ROOT,
    _free_port,
    _stop,
    _wait_until_healthy,
)
from tests.ops.pg_support import Cluster, scratch_cluster, seed_network
from tests.support import bearer

WRITERS = 16


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with scratch_cluster() as started:
        yield started


@pytest.fixture
def gateway_on_cluster(cluster: Cluster, key_dir: Path, tmp_path: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    school, hospital = seed_network(cluster.url, key_dir, url)
    env = {**os.environ, "GATEWAY_DATABASE_URL": cluster.url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": url}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "--threads", "8", "-b", f"127.0.0.1:{port}",
             *NO_CONTROL_SOCKET, "gateway:create_app()"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, process, log, within=180)
        yield url, school, hospital
    finally:
        _stop(process)


def _create(url: str, token: str, recipient) -> requests.Response:
    return requests.post(url + "/api/v1/referrals", json=referral_body(recipient),
                         headers=bearer(token), timeout=30)


def test_postgres_restart_under_load_answers_201_or_503_and_recovers(cluster,
                                                                     gateway_on_cluster):
    url, school, hospital = gateway_on_cluster
    token = requests.post(url + "/oauth/token", data=school.token_form(),
                          timeout=30).json()["access_token"]
    assert requests.post(url + "/api/v1/consents", json=consent_body(hospital.institution_id),
                         headers=bearer(token), timeout=30).status_code == 201
    stop, answers, lock = threading.Event(), [], threading.Lock()

    def write() -> None:
        while not stop.is_set():
            response = _create(url, token, hospital.institution_id)
            with lock:
                answers.append(response)

    with ThreadPoolExecutor(WRITERS) as pool:
        for _ in range(WRITERS):
            pool.submit(write)
        restarts = 0
        while restarts < 3 and not any(a.status_code == 503 for a in list(answers)):
            while len(answers) < 20 * (restarts + 1):
                time.sleep(0.05)
            cluster.ctl("restart", "-m", "fast")
            restarts += 1
            time.sleep(1)
        stop.set()

    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 503}, (statuses, next(
        (a.text for a in answers if a.status_code not in (201, 503)), None))
    assert statuses[503] > 0, statuses  # the restart was felt
    for refused in (a for a in answers if a.status_code == 503):
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.json()["status"] == 503
    recovered = [_create(url, token, hospital.institution_id).status_code for _ in range(10)]
    assert recovered == [201] * 10
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    engine = create_engine(cluster.url)
    try:
        with engine.connect() as connection:
            stored = {str(i) for i in connection.scalars(select(Referral.id))}
            audited = connection.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "referral.created"))
    finally:
        engine.dispose()
    assert len(stored) == len(created) + len(recovered)  # no 503 left a referral behind
    assert created <= stored
    assert audited == len(stored)  # each referral whole, with its audit entry
