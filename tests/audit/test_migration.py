"""Migration 0401: the old hash chain is checked once, then its entries become the first
leaves in order; a broken chain stops the migration with nothing changed."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.audit.note import Signer
from gateway.db import make_engine
from gateway.migrate import scratch_postgres_database, upgrade
from gateway.models import AuditEntry
from gateway.services.audit import integrity, sequencer
from tests.conftest import PG_SERVER_URL

BEFORE = "0651"


@pytest.fixture
def old_database(tmp_path) -> Iterator[str]:
    """A database at the revision before the transparency log."""
    if os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") == "postgresql":
        with scratch_postgres_database(PG_SERVER_URL, "gw_mig") as url:
            upgrade(url, BEFORE)
            yield url
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        upgrade(url, BEFORE)
        yield url


def _chain_hash(prev: str, seq: int, at: datetime, fields: dict) -> str:
    """The retired journal's digest, as it was."""
    canonical = json.dumps({"seq": seq, "recorded_at": at.isoformat(), **fields},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def _write_chain(url: str, count: int) -> None:
    engine = make_engine(url)
    prev, start = "0" * 64, datetime(2026, 11, 1, 8, tzinfo=UTC)
    with engine.begin() as connection:
        for seq in range(1, count + 1):
            at = start + timedelta(minutes=seq)
            fields = {"actor": "cli", "actor_institution_id": None, "action": f"old.{seq}",
                      "object_type": "thing", "object_id": str(seq), "purpose": None,
                      "consent_id": None, "detail": {"n": seq}}
            digest = _chain_hash(prev, seq, at, fields)
            connection.execute(text(
                "INSERT INTO audit_entries (seq, recorded_at, actor, actor_institution_id, "
                "action, object_type, object_id, purpose, consent_id, detail, prev_hash, "
                "entry_hash) VALUES (:seq, :at, 'cli', NULL, :action, 'thing', :oid, NULL, "
                "NULL, :detail, :prev, :hash)"),
                {"seq": seq, "at": at if engine.dialect.name == "postgresql"
                 else at.replace(tzinfo=None), "action": fields["action"], "oid": str(seq),
                 "detail": json.dumps({"n": seq}), "prev": prev, "hash": digest})
            prev = digest
        connection.execute(text("INSERT INTO audit_head (id, seq, entry_hash) "
                                "VALUES (1, :seq, :hash)"), {"seq": count, "hash": prev})
    engine.dispose()


def test_chain_entries_become_the_first_leaves_in_order(old_database):
    _write_chain(old_database, 4)
    upgrade(old_database)
    engine = make_engine(old_database)
    signer = Signer("migrated.test/audit", Ed25519PrivateKey.generate())
    with Session(engine) as session, session.begin():
        session.add(AuditEntry(recorded_at=datetime.now(UTC), actor="cli", action="new.1",
                               object_type="thing", detail={}, outcome="success"))
    with Session(engine) as session, session.begin():
        assert sequencer.seal(session, signer).size == 5
    with Session(engine) as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.leaf_index)
                               .order_by(AuditEntry.seq)).all()
        assert rows == [("old.1", 0), ("old.2", 1), ("old.3", 2), ("old.4", 3), ("new.1", 4)]
        assert integrity.verify_log(session, [signer.verifier]).ok
    engine.dispose()


def test_a_broken_chain_stops_the_migration(old_database):
    _write_chain(old_database, 3)
    engine = make_engine(old_database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'x' WHERE seq = 2"))
    with pytest.raises(RuntimeError, match="audit chain broken at entry 2"):
        upgrade(old_database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar_one() == BEFORE
        assert connection.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 1
    engine.dispose()
