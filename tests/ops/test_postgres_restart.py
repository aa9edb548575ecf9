"""Issue 16, defect 4: PostgreSQL restarted under load. Real gunicorn on a scratch cluster this
test starts itself (initdb/pg_ctl on a free port; the shared server is never touched): while
clients create referrals the cluster restarts; every answer is 201 or a 503 problem+json with
``Retry-After``, every 201 is a whole referral (audit entry included) and no 503 left anything,
and the pool recovers by itself."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from gateway import create_app
from gateway.db import transaction
from gateway.migrate import upgrade
from gateway.models import (
    AuditEntry,
    AuthMethod,
    Exchange,
    InstitutionKind,
    PartnershipStatus,
    Referral,
)
from gateway.services.network import clients, institutions, partnerships
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
from tests.support import TESTER, Partner, bearer, new_key, public_jwks

WRITERS = 16
PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(PG_BIN or "/nonexistent") / name
    return str(candidate) if candidate.exists() else None


def _as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: then run its tools as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass(frozen=True)
class Cluster:
    """A private PostgreSQL cluster: data directory, port, and how to restart it."""

    home: Path
    port: int
    pg_ctl: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str, *args: str) -> None:
        """``pg_ctl ACTION``; the server's output goes to its log file, never to a pipe of
        ours (a started server would keep it open)."""
        log = ["-l", str(self.home / "postgres.log")] if action in ("start", "restart") else []
        subprocess.run([*_as_server_user(), self.pg_ctl, "-D", str(self.home / "data"), "-w",
                        "-t", "60", *log, *args, action], check=True, timeout=90,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("initdb/pg_ctl not installed")
    home, port = Path(tempfile.mkdtemp(prefix="gw-pg-")), _free_port()
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        os.chown(home, server_user.pw_uid, server_user.pw_gid)
    try:
        subprocess.run([*_as_server_user(), initdb, "-D", str(home / "data"), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True,
                       timeout=120)
        options = (f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c max_connections=60 "
                   "-c fsync=off")
        found = Cluster(home, port, pg_ctl)
        found.ctl("start", "-o", options)
        try:
            yield found
        finally:
            found.ctl("stop", "-m", "immediate")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _seed(cluster: Cluster, key_dir: Path, issuer: str) -> tuple[Partner, Partner]:
    """A university and a hospital in a referral partnership, written through the services."""
    upgrade(cluster.url)
    app = create_app({"TESTING": True, "DATABASE_URL": cluster.url, "KEY_DIR": str(key_dir),
                      "INSTANCE_PATH": str(key_dir.parent), "ISSUER": issuer})
    made = []
    now = datetime.now(UTC)
    with transaction(app) as session:
        for kind, scopes in (("university", ["referrals:write", "consents:write"]),
                             ("hospital", ["referrals:read"])):
            key = new_key()
            institution = institutions.register(session, TESTER, name=kind,
                                                kind=InstitutionKind(kind), region="r1",
                                                country="CN")
            registration = clients.register(
                session, TESTER, name=kind, institution_id=institution.id,
                auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=scopes, jwks=public_jwks(key))
            made.append(Partner(registration.client.client_id, institution.id, key, issuer))
        partnership = partnerships.propose(
            session, TESTER, institution_ids=(made[0].institution_id, made[1].institution_id),
            exchanges=[Exchange.REFERRAL], valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30))
        partnerships.change_status(session, TESTER, partnership.id, PartnershipStatus.ACTIVE)
    engine = app.extensions["gateway.db"].kw["bind"]
    engine.dispose()
    return made[0], made[1]


@pytest.fixture
def gateway_on_cluster(cluster: Cluster, key_dir: Path, tmp_path: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    school, hospital = _seed(cluster, key_dir, url)
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
