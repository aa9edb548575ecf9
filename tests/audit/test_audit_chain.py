"""The audit hash chain: ``verify`` finds edited, deleted, reordered and truncated entries."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from gateway.db import engine_of, transaction
from gateway.models import AuditEntry
from gateway.services.audit import journal
from tests.support import TESTER


@pytest.fixture
def chain(app) -> int:
    """Five entries in the log; returns their number."""
    with transaction(app) as session:
        for number in range(5):
            journal.record(session, TESTER, "test.event", "thing", number, detail={"n": number})
    return 5


def _verify(app) -> journal.Verification:
    with transaction(app) as session:
        return journal.verify(session)


def _tamper(app, statement) -> None:
    with engine_of(app).begin() as connection:
        connection.execute(statement)


def test_an_intact_chain_verifies(app, chain):
    assert _verify(app) == journal.Verification(True, chain)


def test_an_edited_entry_is_named(app, chain):
    _tamper(app, update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone-else"))
    result = _verify(app)
    assert (result.ok, result.fault_seq, result.checked) == (False, 3, 2)


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(app, chain):
    _tamper(app, update(AuditEntry).where(AuditEntry.seq == 2)
            .values(detail={"n": 99}, entry_hash="f" * 64))
    result = _verify(app)
    assert not result.ok
    assert result.fault_seq == 2


def test_a_deleted_entry_is_detected(app, chain):
    _tamper(app, delete(AuditEntry).where(AuditEntry.seq == 3))
    result = _verify(app)
    assert (result.ok, result.fault_seq) == (False, 3)
    assert result.fault == "entry missing"


def test_a_deleted_last_entry_is_detected_by_the_head(app, chain):
    _tamper(app, delete(AuditEntry).where(AuditEntry.seq == chain))
    result = _verify(app)
    assert not result.ok
    assert result.fault_seq == chain


def test_swapped_entries_are_detected(app, chain):
    _tamper(app, update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-2))
    _tamper(app, update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
    _tamper(app, update(AuditEntry).where(AuditEntry.seq == -2).values(seq=3))
    result = _verify(app)
    assert (result.ok, result.fault_seq) == (False, 2)
