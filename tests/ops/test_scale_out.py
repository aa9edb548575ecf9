"""Scale-out on one PostgreSQL: two gunicorn servers, two delivery workers and the scheduler.

Referral creates are driven through both servers at once; the recipient's endpoint is a real
webhook receiver in this test. Afterwards every message reached it exactly once (counted by
``webhook-id``), every create left exactly one sealed audit leaf with no gap in the numbering,
``flask audit verify`` passes, and each referral and outbox row is in its expected state.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.db import transaction
from gateway.models import (
    AuditEntry,
    AuditLeaf,
    AuditPending,
    OutboxMessage,
    OutboxStatus,
    Referral,
)
from tests.factories.referrals import referral_body
from tests.live_support import BIN, Live, _free_port, answering, gateway_env, serve, start
from tests.network_support import grant_consents, set_endpoint
from tests.support import bearer

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") != "postgresql",
                       reason="scale-out is for PostgreSQL: SQLite serves one host only"),
]

REFERRALS = 200
THREADS = 8
TIMEOUT = 30
SETTLE_WITHIN = 180.0  # seconds for the workers and the scheduler to drain a loaded machine


@dataclass
class Received:
    """What the webhook receiver saw: requests per message id, and the referral of each."""

    secret: str = ""
    deliveries: Counter = field(default_factory=Counter)
    referrals: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (type, ref)
    forged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Receiver(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    received: Received

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads :class:`Received`."""

    def do_POST(self) -> None:
        """Verify the signature, count the message id, answer 204."""
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = self.received
        try:
            document = Webhook(received.secret).verify(body, dict(self.headers))
        except WebhookVerificationError:
            with received.lock:
                received.forged += 1
            self.send_response(400)
            self.end_headers()
            return
        message_id = self.headers["webhook-id"]
        with received.lock:
            received.deliveries[message_id] += 1
            received.referrals[message_id] = (document["type"],
                                              document["data"]["referral"]["id"])
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """A webhook receiver on a free loopback port: its URL and what it received."""
    received = Received()
    handler = type("Receiver", (_Receiver,), {"received": received})
    with answering(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_port}/hook", received


@dataclass
class Cluster:
    """The two servers' URLs, and a way to stop every process before the final checks."""

    urls: list[str]
    env: dict[str, str]
    processes: ExitStack


@pytest.fixture
def cluster(app, database_url: str, key_dir: Path, tmp_path: Path) -> Iterator[Cluster]:
    """Two gunicorn servers, two delivery workers and the scheduler on one database."""
    ports = [_free_port(), _free_port()]
    env = gateway_env(database_url, key_dir, f"http://127.0.0.1:{ports[0]}",
                      OUTBOUND_ALLOW_INSECURE_LOOPBACK="true", RATELIMIT_ENABLED="false",
                      DELIVERY_POLL_INTERVAL=0.2, AUDIT_SEAL_INTERVAL=1)
    flask = [str(BIN / "flask"), "--app", "gateway"]
    with ExitStack() as stack:
        urls = [serve(stack, env, port, tmp_path / f"gunicorn-{port}.log") for port in ports]
        for index in range(2):
            start(stack, [*flask, "deliver"], env, tmp_path / f"deliver-{index}.log")
        start(stack, [*flask, "scheduler"], env, tmp_path / "scheduler.log")
        yield Cluster(urls, env, stack)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SETTLE_WITHIN
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached in {SETTLE_WITHIN:.0f} s: {what}")
        time.sleep(0.5)


def _outbox(app) -> dict[str, OutboxStatus]:
    with transaction(app) as session:
        rows = session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status))
        return {key: status for key, status in rows}


def _unsequenced(app) -> int:
    with transaction(app) as session:
        return session.scalar(select(func.count()).select_from(AuditPending))


def test_two_servers_two_workers_and_the_scheduler_deliver_once_and_seal_every_leaf(
        app, client, cluster, receiver, linked):
    first, second = cluster.urls
    url, received = receiver
    received.secret = set_endpoint(app, "webhook", url,
                                   institution_id=linked.hospital.institution_id)
    grant_consents(client, linked.school_headers, linked.hospital.institution_id)
    school = replace(linked.school, issuer=first)
    issued = requests.post(first + "/oauth/token", data=school.token_form(), timeout=TIMEOUT)
    assert issued.status_code == 200, issued.text
    headers = bearer(issued.json()["access_token"])
    with transaction(app) as session:
        entries_before = session.scalar(select(func.count()).select_from(AuditEntry))

    def create(index: int) -> str:
        server = (first, second)[index % 2]
        response = requests.post(server + "/api/v1/referrals", headers=headers, timeout=TIMEOUT,
                                 json=referral_body(linked.hospital.institution_id))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        created = list(pool.map(create, range(REFERRALS)))
    assert len(set(created)) == REFERRALS

    _wait_for(lambda: OutboxStatus.PENDING not in _outbox(app).values(), "the outbox drained")
    _wait_for(lambda: _unsequenced(app) == 0, "the scheduler sealed every entry")
    cluster.processes.close()  # nothing writes from here on: the counts below hold still

    outbox = _outbox(app)
    assert set(outbox.values()) == {OutboxStatus.DELIVERED}
    assert received.forged == 0
    assert set(received.deliveries) == set(outbox)  # every message reached the webhook ...
    assert set(received.deliveries.values()) == {1}  # ... exactly once
    submitted = Counter(ref for kind, ref in received.referrals.values()
                        if kind == "referral.submitted")
    assert submitted == Counter(created)  # one notice per referral, none lost or doubled

    with transaction(app) as session:
        statuses = Counter(session.scalars(
            select(Referral.status).where(Referral.id.in_(created))))
        actions = Counter(session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "referral.created")))
        leaves = list(session.scalars(select(AuditLeaf.leaf_index).order_by(AuditLeaf.leaf_index)))
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    assert {status.value: count for status, count in statuses.items()} == {
        "submitted": REFERRALS}
    assert set(actions) == set(created)
    assert set(actions.values()) == {1}  # one audit entry per create, none lost or doubled
    assert entries > entries_before + REFERRALS
    assert leaves == list(range(entries))  # every entry a leaf, numbered without a gap

    operator = Live(first, cluster.env)  # the CLI on the same database and keys
    sealed = operator.cli("audit", "seal")
    assert sealed.returncode == 0, sealed.stderr
    verified = operator.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"audit log intact: {entries} entries"), verified.stdout
