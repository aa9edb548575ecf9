"""The gateway behind PgBouncer in transaction mode (PostgreSQL only): Debian's pgbouncer,
started by the test on a free port in front of a scratch database of its own.

With ``GATEWAY_DATABASE_PREPARED_STATEMENTS=false`` two gunicorn workers, ``flask deliver`` and
``flask scheduler`` run through it: tokens, consents, referral creates, inbox pages and
transitions all answer 2xx, the scheduler seals every entry as a leaf without a gap, the
outbox drains and ``flask audit verify`` (through PgBouncer too) finds the log intact. With
prepared statements left on, a statement psycopg prepared on one server connection is later
sent to another one, which does not know it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import Engine, create_engine, func, select, text, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from gateway.db import make_engine
from gateway.migrate import scratch_postgres_database
from gateway.models import (
    AuditCheckpoint,
    AuditEntry,
    AuditLeaf,
    AuditPending,
    OutboxMessage,
    OutboxStatus,
    Referral,
)
from gateway.models.base import UTCDateTime
from tests.conftest import PG_SERVER_URL
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.live_support import BIN, Live, _free_port, gateway_env, serve, start
from tests.ops.pg_support import pgbouncer, pgbouncer_stats, seed_network
from tests.support import bearer

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") != "postgresql",
                       reason="PgBouncer pools PostgreSQL connections"),
]

REPEATS = 8  # psycopg prepares a statement server-side from its 5th execution
REFERRALS = 40
THREADS = 4
PAGE = 7
TIMEOUT = 30
SETTLE_WITHIN = 120.0  # seconds for the worker and the scheduler on a loaded machine


@pytest.fixture
def bounced() -> Iterator[tuple[str, str]]:
    """A scratch database on the shared server and PgBouncer in front of it: both URLs."""
    with scratch_postgres_database(PG_SERVER_URL, "gw_bouncer") as direct, \
            pgbouncer(direct) as through:
        yield direct, through


def _repeat_then_move(through: str, *, prepared_statements: bool) -> None:
    """Run one statement REPEATS times while another client holds a server connection, then
    once more after that client releases it: PgBouncer (most recently released first) then
    gives the next transaction the other server connection."""
    engine = make_engine(through, prepared_statements=prepared_statements)
    holder = psycopg.connect(through.replace("+psycopg", ""), prepare_threshold=None)
    try:
        holder.execute("SELECT 1")  # a transaction: its server connection stays taken
        with engine.connect() as connection:
            for _ in range(REPEATS):
                connection.execute(text("SELECT count(*) FROM pg_class"))
                connection.commit()
            holder.commit()
            connection.execute(text("SELECT count(*) FROM pg_class"))
            connection.commit()
    finally:
        holder.close()
        engine.dispose()


def test_prepared_statements_fail_through_transaction_mode_pgbouncer_unless_turned_off(
        bounced):
    _, through = bounced
    with pytest.raises(ProgrammingError, match=r'prepared statement "\w+" does not exist'):
        _repeat_then_move(through, prepared_statements=True)
    _repeat_then_move(through, prepared_statements=False)


def test_timestamps_come_back_in_utc_on_every_server_connection(bounced):
    """The gateway's sessions run in UTC (its timestamps are then read as they come), also
    through PgBouncer, whose server connections here open in another zone: PgBouncer keeps
    the client's ``SET TIME ZONE`` and repeats it on each server connection it lends."""
    direct, _ = bounced
    with pgbouncer(direct, timezone="Asia/Shanghai") as through:
        plain = psycopg.connect(through.replace("+psycopg", ""), prepare_threshold=None)
        try:
            assert plain.execute("SHOW TimeZone").fetchone() == ("Asia/Shanghai",)
            plain.commit()
            engine = make_engine(through, prepared_statements=False)
            with engine.connect() as connection:
                for number in range(REPEATS):
                    if number == 0:  # another client takes a server connection and keeps it
                        plain.execute("SELECT 1")
                    if number == REPEATS // 2:  # ... until now: the next transaction gets it
                        plain.commit()
                    assert connection.execute(text("SHOW TimeZone")).scalar() == "UTC"
                    now = connection.execute(select(type_coerce(func.now(), UTCDateTime())))
                    assert now.scalar().tzinfo is UTC
                    connection.commit()
            engine.dispose()
        finally:
            plain.close()


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SETTLE_WITHIN
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached in {SETTLE_WITHIN:.0f} s: {what}")
        time.sleep(0.5)


def _count(engine: Engine, query) -> int:
    with engine.connect() as connection:
        return connection.scalar(query)


@pytest.mark.slow
def test_servers_worker_and_scheduler_through_pgbouncer_answer_and_seal_every_entry(
        bounced, key_dir: Path, tmp_path: Path):
    direct, through = bounced
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    school, hospital = seed_network(direct, key_dir, url)
    env = gateway_env(through, key_dir, url, DATABASE_PREPARED_STATEMENTS="false",
                      RATELIMIT_ENABLED="false", DELIVERY_POLL_INTERVAL=0.2,
                      AUDIT_SEAL_INTERVAL=1)
    flask = [str(BIN / "flask"), "--app", "gateway"]
    database = create_engine(direct)
    answers: list[requests.Response] = []

    def call(method: str, path: str, headers: dict | None = None, **kwargs) -> dict:
        response = requests.request(method, url + path, headers=headers, timeout=TIMEOUT,
                                    **kwargs)
        answers.append(response)
        assert response.ok, (method, path, response.status_code, response.text)  # 2xx only
        return response.json()

    try:
        with ExitStack() as processes:
            serve(processes, env, port, tmp_path / "gunicorn.log")
            start(processes, [*flask, "deliver"], env, tmp_path / "deliver.log")
            start(processes, [*flask, "scheduler"], env, tmp_path / "scheduler.log")

            sender = bearer(call("POST", "/oauth/token", data=school.token_form())
                            ["access_token"])
            recipient = bearer(call("POST", "/oauth/token", data=hospital.token_form())
                               ["access_token"])
            for purpose in ("green_channel_referral", "follow_up"):
                call("POST", "/api/v1/consents", sender,
                     json=consent_body(hospital.institution_id, SUBJECT_REF, purpose))
            with ThreadPoolExecutor(THREADS) as pool:
                created = list(pool.map(lambda _: call(
                    "POST", "/api/v1/referrals", sender,
                    json=referral_body(hospital.institution_id))["id"], range(REFERRALS)))
            inbox, cursor = [], None
            while True:
                page = call("GET", "/api/v1/referrals", recipient,
                            params={"box": "inbox", "limit": PAGE,
                                    **({"cursor": cursor} if cursor else {})})
                inbox += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            with ThreadPoolExecutor(THREADS) as pool:
                list(pool.map(lambda referral_id: call(
                    "POST", f"/api/v1/referrals/{referral_id}/transitions", recipient,
                    json={"status": "accepted"}), created))

            assert sorted(inbox) == sorted(created) and len(set(created)) == REFERRALS
            _wait_for(lambda: _count(database, select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.status == OutboxStatus.PENDING)) == 0,
                      "the delivery worker settled the outbox")
            _wait_for(lambda: _count(database, select(func.count()).select_from(
                AuditPending)) == 0, "the scheduler sealed every entry")
        # every process stopped: the counts below hold still

        with database.connect() as connection:
            outbox = Counter(connection.scalars(select(OutboxMessage.status)))
            statuses = Counter(connection.scalars(select(Referral.status)))
            creations = Counter(connection.scalars(select(AuditEntry.object_id).where(
                AuditEntry.action == "referral.created")))
            entries = connection.scalar(select(func.count()).select_from(AuditEntry))
            leaves = list(connection.scalars(select(AuditLeaf.leaf_index)
                                             .order_by(AuditLeaf.leaf_index)))
            signed = connection.scalar(select(func.max(AuditCheckpoint.size)))
        assert set(outbox) == {OutboxStatus.SKIPPED}  # settled (no push endpoint), none dead
        assert outbox[OutboxStatus.SKIPPED] >= 2 * REFERRALS  # a notice per create and accept
        assert {status.value: n for status, n in statuses.items()} == {"accepted": REFERRALS}
        assert set(creations) == set(created) and set(creations.values()) == {1}
        assert leaves == list(range(entries))  # every entry a leaf, numbered without a gap
        assert signed == entries  # the scheduler's checkpoint covers them all
        bouncer = pgbouncer_stats(through)[make_url(direct).database]
        assert int(bouncer["total_xact_count"]) > len(answers)  # the traffic went through it

        operator = Live(url, env)  # the CLI, through PgBouncer as well
        verified = operator.cli("audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert verified.stdout.startswith(f"audit log intact: {entries} entries"), \
            verified.stdout
    finally:
        database.dispose()
