"""Concurrent writers on PostgreSQL: no writer waits, the sequencer numbers every committed
entry exactly once, gap-free, in commit order."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from gateway.cli import seal_until_done
from gateway.db import engine_of, transaction
from gateway.models import AuditEntry
from gateway.services.audit import integrity, journal
from tests.support import TESTER

WRITERS = 8
TOTAL = 10_000
PER_TRANSACTION = 5  # a request recording several entries inserts them together
LOCK_WAITS = text(
    "SELECT wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND wait_event_type = 'Lock'")


def _happens_before_respected(spans: list[tuple[int, int]]) -> bool:
    """``spans`` are (began, committed) in leaf order: no entry may come after one whose
    transaction began only once the first had committed."""
    earliest_commit_after = None
    for began, committed in reversed(spans):
        if earliest_commit_after is not None and earliest_commit_after < began:
            return False
        earliest_commit_after = (committed if earliest_commit_after is None
                                 else min(earliest_commit_after, committed))
    return True


@pytest.mark.slow
def test_eight_writers_ten_thousand_entries_no_lock_waits_gap_free_commit_order(app, log):
    engine = engine_of(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers by design; this is about PostgreSQL")
    sessions = sessionmaker(engine)
    spans: dict[str, tuple[int, int]] = {}
    waits: list[tuple] = []
    samples = 0
    writing = threading.Event()
    writing.set()

    def write(writer: int) -> None:
        for first in range(0, TOTAL // WRITERS, PER_TRANSACTION):
            names = [f"{writer}:{n}" for n in range(first, first + PER_TRANSACTION)]
            began = time.monotonic_ns()
            with sessions() as session, session.begin():
                for name in names:
                    journal.record(session, TESTER, "test.concurrent", "thing", name)
            committed = time.monotonic_ns()
            spans.update((name, (began, committed)) for name in names)

    def sample() -> None:
        nonlocal samples
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while writing.is_set():
                waits.extend(tuple(row) for row in connection.execute(LOCK_WAITS))
                samples += 1
                time.sleep(0.005)

    def keep_sealing() -> None:
        while writing.is_set():
            seal_until_done(app)
            time.sleep(0.02)

    helpers = [threading.Thread(target=sample), threading.Thread(target=keep_sealing),
               threading.Thread(target=keep_sealing)]
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in helpers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    for thread in helpers:
        thread.join()
    assert seal_until_done(app) == TOTAL

    with transaction(app) as session:
        rows = session.execute(select(AuditEntry.object_id, AuditEntry.leaf_index)
                               .order_by(AuditEntry.leaf_index)).all()
        assert integrity.unsequenced(session) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == TOTAL
        assert integrity.verify_log(session, log.verifiers).ok
    assert [index for _, index in rows] == list(range(TOTAL))
    assert len(spans) == TOTAL and {name for name, _ in rows} == set(spans)
    for writer in range(WRITERS):  # each writer's own commits, in its order
        mine = [index for name, index in rows if name.startswith(f"{writer}:")]
        names = [name for name, _ in rows if name.startswith(f"{writer}:")]
        assert names == [f"{writer}:{n}" for n in range(TOTAL // WRITERS)]
        assert mine == sorted(mine)
    assert _happens_before_respected([spans[name] for name, _ in rows])
    assert samples > 10
    assert waits == []


def test_the_commit_order_check_can_fail():
    """The checker itself: a later-begun transaction placed before an earlier commit fails."""
    assert _happens_before_respected([(0, 5), (1, 6), (7, 9)])
    assert not _happens_before_respected([(7, 9), (0, 5)])
