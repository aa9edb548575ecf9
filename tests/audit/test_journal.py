"""Appending: a transaction's entries are written together, in the order recorded, with it;
the database makes every new entry pending, whoever inserts it."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select, text

from gateway.db import engine_of, transaction
from gateway.models import AuditEntry, AuditPending, OutboxMessage, utcnow
from gateway.services import outbox, row_queue
from gateway.services.audit import journal
from tests.support import TESTER


def _entries(app) -> list[tuple[str, bool]]:
    """(object id, still pending) of every entry, by arrival."""
    with transaction(app) as session:
        rows = session.execute(select(AuditEntry.object_id, AuditPending.seq.is_not(None))
                               .outerjoin(AuditPending, AuditPending.seq == AuditEntry.seq)
                               .order_by(AuditEntry.seq))
        return [(object_id, pending) for object_id, pending in rows]


def test_a_transactions_entries_are_numbered_in_the_order_recorded(app, seal):
    with transaction(app) as session:
        for number in range(5):
            journal.record(session, TESTER, "test.event", "thing", number)
        session.flush()
        journal.record(session, TESTER, "test.event", "thing", 5)  # written at commit
    assert _entries(app) == [(str(number), True) for number in range(6)]
    assert seal() == 6
    with transaction(app) as session:
        leaves = session.execute(select(AuditEntry.leaf_index, AuditEntry.object_id)
                                 .order_by(AuditEntry.leaf_index)).all()
    assert [(index, str(index)) for index in range(6)] == [tuple(row) for row in leaves]


@pytest.mark.parametrize(("count", "postgresql_inserts"), [
    (2, 1),  # 42 parameters: one statement
    (3, 2),  # 63: psycopg would convert it afresh each time, so each table's INSERT apart
])
def test_entries_queued_with_other_rows_are_numbered_in_the_order_recorded(
        app, seal, count, postgresql_inserts):
    """Written with the transaction's notices, as their own INSERTs write them: on PostgreSQL
    in one statement, up to ``row_queue.COMBINED_PARAMETERS`` parameters."""
    inserts: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        if "INSERT" in statement:
            inserts.append(statement)

    event.listen(engine_of(app), "before_cursor_execute", keep)
    try:
        with transaction(app) as session:
            for number in range(count):
                journal.record(session, TESTER, "test.event", "thing", number)
                outbox.send(session, "test.notice", {"number": number}, region=f"r{number}")
            session.flush()
    finally:
        event.remove(engine_of(app), "before_cursor_execute", keep)
    postgresql = engine_of(app).dialect.name == "postgresql"
    assert len(inserts) == (postgresql_inserts if postgresql else 2), inserts
    assert _entries(app) == [(str(number), True) for number in range(count)]
    assert seal() == count
    with transaction(app) as session:
        notices = session.execute(select(OutboxMessage.recipient_region, OutboxMessage.payload)
                                  .order_by(OutboxMessage.recipient_region)).all()
    assert [tuple(row) for row in notices] == [
        (f"r{number}", f'{{"number": {number}}}') for number in range(count)]
    with engine_of(app).connect() as connection:  # encrypted at rest, as the INSERT does it
        stored = connection.execute(text("SELECT payload FROM outbox")).scalars().all()
    assert len(stored) == count and all(value.startswith("gw1.") for value in stored)


def test_entries_of_a_rolled_back_savepoint_are_not_written(app):
    with transaction(app) as session:
        journal.record(session, TESTER, "test.event", "thing", "kept")
        with pytest.raises(RuntimeError), session.begin_nested():
            journal.record(session, TESTER, "test.event", "thing", "dropped, unflushed")
            raise RuntimeError
        with pytest.raises(RuntimeError), session.begin_nested():
            journal.record(session, TESTER, "test.event", "thing", "dropped, flushed")
            session.flush()
            raise RuntimeError
    assert _entries(app) == [("kept", True)]


def test_entries_recorded_before_a_savepoint_survive_its_rollback(app):
    """Still queued when the savepoint begins, they are written before it, not inside it."""
    with transaction(app) as session:
        journal.record(session, TESTER, "test.event", "thing", "before")
        with pytest.raises(RuntimeError), session.begin_nested():
            journal.record(session, TESTER, "test.event", "thing", "inside, written")
            with session.begin_nested():  # written as this one begins, inside the outer one
                pass
            raise RuntimeError
    assert _entries(app) == [("before", True)]


def test_a_query_in_the_transaction_sees_the_entries_it_recorded(app):
    """As autoflush shows pending objects: nothing else is dirty, the query still finds it."""
    with transaction(app) as session:
        journal.record(session, TESTER, "test.event", "thing", "seen")
        found = session.scalars(select(AuditEntry.object_id).where(
            AuditEntry.action == "test.event")).all()
    assert found == ["seen"]


def test_plain_rows_see_what_an_orm_query_sees(app):
    """``row_queue.plain_rows`` skips the ORM's result machinery, not its promises: queued
    entries are written and pending objects flushed before its SELECT runs."""
    with transaction(app) as session:
        journal.record(session, TESTER, "test.event", "thing", "queued")
        session.add(AuditEntry(recorded_at=utcnow(), actor="tester", action="test.event",
                               object_type="thing", object_id="pending", outcome="success",
                               detail={}))
        found = row_queue.plain_rows(session, select(AuditEntry.object_id).where(
            AuditEntry.action == "test.event").order_by(AuditEntry.seq), {})
    # the flush first, then the queue (as at a flush)
    assert [row.object_id for row in found] == ["pending", "queued"]


def test_entries_of_a_failed_transaction_are_not_written(app):
    with pytest.raises(RuntimeError), transaction(app) as session:
        journal.record(session, TESTER, "test.event", "thing", "lost")
        session.flush()
        raise RuntimeError
    assert _entries(app) == []



def test_an_entry_inserted_outside_the_journal_is_pending_and_sealed(app, seal):
    """The pending row is the database's (a trigger), so a bulk loader's plain INSERT of
    entries queues them for the sequencer as the journal's does."""
    rows = [{"recorded_at": utcnow(), "actor": "cli", "action": "test.bulk",
             "object_type": "thing", "object_id": str(number), "outcome": "success",
             "detail": {}} for number in range(3)]
    with engine_of(app).begin() as connection:
        connection.execute(insert(AuditEntry), rows)
    assert _entries(app) == [(str(number), True) for number in range(3)]
    assert seal() == 3
    assert _entries(app) == [(str(number), False) for number in range(3)]
