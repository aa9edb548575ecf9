"""A read replica for the reads that are safe slightly stale (PostgreSQL only).

The test starts its own primary (initdb, ``wal_level=replica``, replication allowed in its
pg_hba.conf) and a streaming hot standby of it (``pg_basebackup -R``), each on a free port,
and gunicorn with ``GATEWAY_DATABASE_URL`` on the primary and ``GATEWAY_DATABASE_REPLICA_URL``
on the standby. Writes go to the primary; the audit log's checkpoint and consistency proofs
come from the standby: with its replay paused they show the older checkpoint (still validly
signed, and provably a prefix of the newer one), and with it stopped they answer 503
problem+json while writes and every other read still work on the primary.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from gateway import create_app
from gateway.audit import tlog
from gateway.audit.checkpoint import Checkpoint, open_checkpoint
from gateway.db import engine_of
from gateway.keystore import current_log_of
from gateway.services.audit.log import LogIdentity
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.live_support import Live, _free_port, gateway_env, serve
from tests.ops.pg_support import Cluster, scratch_cluster, seed_network, streaming_replica
from tests.support import Partner, bearer

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") != "postgresql",
                       reason="streaming replication is PostgreSQL's"),
]

TIMEOUT = 30
REPLAY_WITHIN = 60.0  # seconds for the standby to replay the primary's WAL


def _sql(cluster: Cluster, query: str) -> object:
    """One value from ``query`` on ``cluster``, in autocommit."""
    with psycopg.connect(cluster.url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute(query).fetchone()[0]


def _wait_until_replayed(primary: Cluster, replica: Cluster) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    lsn = _sql(primary, "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + REPLAY_WITHIN
    while not _sql(replica, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay the primary's WAL within {REPLAY_WITHIN} s")
        time.sleep(0.2)


@dataclass(frozen=True)
class Gateway:
    """gunicorn on the primary and the standby, its CLI, a partner's token, the log's keys."""

    live: Live
    hospital: Partner
    headers: dict
    log: LogIdentity
    primary: Cluster
    replica: Cluster

    def get(self, path: str, **params: object) -> requests.Response:
        """GET ``path`` with the school's token."""
        return requests.get(self.live.url + path, params=params, headers=self.headers,
                            timeout=TIMEOUT)

    def refer(self) -> requests.Response:
        """A referral create (a write, on the primary)."""
        return requests.post(self.live.url + "/api/v1/referrals", headers=self.headers,
                             json=referral_body(self.hospital.institution_id), timeout=TIMEOUT)

    def seal(self) -> None:
        """``flask audit seal`` (on the primary)."""
        sealed = self.live.cli("audit", "seal")
        assert sealed.returncode == 0, sealed.stderr

    def checkpoint(self) -> Checkpoint:
        """The checkpoint the gateway serves, verified with the log's keys."""
        response = self.get("/audit/checkpoint")
        assert response.status_code == 200, response.text
        return open_checkpoint(response.text, self.log.verifiers, self.log.origin)[0]


@pytest.fixture
def gateway(key_dir: Path, tmp_path: Path) -> Iterator[Gateway]:
    with scratch_cluster("wal_level=replica") as primary, streaming_replica(primary) as replica, \
            ExitStack() as processes:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        school, hospital = seed_network(primary.url, key_dir, url, extra_scopes=("audit:read",))
        app = create_app({"TESTING": True, "DATABASE_URL": primary.url,
                          "KEY_DIR": str(key_dir), "INSTANCE_PATH": str(key_dir.parent),
                          "ISSUER": url})
        log = current_log_of(app)
        engine_of(app).dispose()
        env = gateway_env(primary.url, key_dir, url, DATABASE_REPLICA_URL=replica.url,
                          RATELIMIT_ENABLED="false")
        serve(processes, env, port, tmp_path / "gunicorn.log")
        issued = requests.post(url + "/oauth/token", data=school.token_form(), timeout=TIMEOUT)
        assert issued.status_code == 200, issued.text
        headers = bearer(issued.json()["access_token"])
        consented = requests.post(url + "/api/v1/consents", headers=headers, timeout=TIMEOUT,
                                  json=consent_body(hospital.institution_id))
        assert consented.status_code == 201, consented.text
        yield Gateway(Live(url, env), hospital, headers, log, primary, replica)


def test_checkpoints_come_from_the_replica_and_writes_from_the_primary(gateway: Gateway):
    assert gateway.refer().status_code == 201
    gateway.seal()
    _wait_until_replayed(gateway.primary, gateway.replica)
    first = gateway.checkpoint()
    assert first.size == _sql(gateway.primary, "SELECT count(*) FROM audit_leaves") > 0
    reading = _sql(gateway.replica, "SELECT count(*) FROM pg_stat_activity WHERE "
                                    "backend_type = 'client backend' AND pid <> pg_backend_pid()")
    assert reading > 0  # the gateway holds a connection to the standby

    _sql(gateway.replica, "SELECT pg_wal_replay_pause()")  # the standby falls behind
    assert gateway.refer().status_code == 201
    gateway.seal()
    newest = _sql(gateway.primary, "SELECT max(size) FROM audit_checkpoints")
    assert newest > first.size
    assert gateway.checkpoint() == first  # stale, from the standby, and still validly signed
    stale = gateway.get("/audit/consistency", first=first.size, second=newest)
    assert stale.status_code == 422  # the standby has not seen that tree yet

    _sql(gateway.replica, "SELECT pg_wal_replay_resume()")
    _wait_until_replayed(gateway.primary, gateway.replica)
    second = gateway.checkpoint()
    assert second.size == newest
    proven = gateway.get("/audit/consistency", first=first.size, second=second.size)
    assert proven.status_code == 200, proven.text
    proof = [base64.b64decode(node) for node in proven.json()["consistency"]]
    tlog.verify_consistency(first.size, second.size, first.root, second.root, proof)

    gateway.replica.stop()
    for path, params in (("/audit/checkpoint", {}),
                         ("/audit/consistency", {"first": first.size, "second": second.size})):
        refused = gateway.get(path, **params)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) > 0
    assert gateway.refer().status_code == 201  # writes need only the primary
    inbox = gateway.get("/api/v1/referrals", box="sent")
    assert inbox.status_code == 200 and len(inbox.json()["items"]) == 3  # so do other reads
