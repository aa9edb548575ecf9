"""The migration chain: one head, files in chain order, the models' schema, a full round trip.

Run on the suite's database backend (``GATEWAY_TEST_DATABASE``), so on both SQLite and
PostgreSQL; each test migrates its own empty database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from gateway.db import make_engine
from gateway.migrate import (
    MIGRATIONS,
    alembic_config,
    include_object,
    scratch_postgres_database,
    upgrade,
)
from gateway.models import Base
from tests.conftest import PG_SERVER_URL


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the suite's backend."""
    if os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") == "postgresql":
        with scratch_postgres_database(PG_SERVER_URL, "gw_migrations") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_object": include_object, "compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _hand_made_routines(url: str) -> set[str]:
    """The triggers (and, on PostgreSQL, trigger functions) the migrations made by hand."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return set(connection.scalars(text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL "
                    "SELECT proname || '()' FROM pg_proc JOIN pg_namespace n "
                    "ON n.oid = pronamespace WHERE nspname = 'public'")))
            return set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    finally:
        engine.dispose()


def test_the_chain_has_one_head_and_the_files_sort_in_its_order():
    scripts = _scripts()
    assert len(scripts.get_heads()) == 1
    chain = [script.path for script in reversed(list(scripts.walk_revisions()))]
    names = [Path(path).name for path in chain]
    assert names == sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    for script in scripts.walk_revisions():  # the header says what down_revision says
        header = (script.module.__doc__ or "").splitlines()
        revises = next(line for line in header if line.startswith("Revises:"))
        assert revises.removeprefix("Revises:").strip() == (script.down_revision or "")


def test_the_migrated_schema_matches_the_models(empty_database):
    upgrade(empty_database)
    assert _differences(empty_database) == []


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_database):
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    tables = _tables(empty_database)
    assert set(Base.metadata.tables) <= tables
    command.downgrade(config, "base")
    assert _tables(empty_database) == set()
    command.upgrade(config, "head")
    assert _tables(empty_database) == tables
    assert _differences(empty_database) == []


def test_the_audit_pending_trigger_comes_and_goes_with_its_migration(empty_database):
    config = alembic_config(empty_database)
    command.upgrade(config, "1401")
    before = _hand_made_routines(empty_database)
    command.upgrade(config, "1402")
    added = _hand_made_routines(empty_database) - before
    assert "audit_entries_pending" in added
    command.downgrade(config, "1401")
    assert _hand_made_routines(empty_database) == before


def test_at_head_the_database_still_queues_every_new_audit_entry(empty_database):
    """A later migration that rebuilds ``audit_entries`` (SQLite's ``batch_alter_table``
    copies the table and drops its triggers) must create the trigger again: without it new
    entries would never reach the sequencer, silently."""
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_entries (recorded_at, actor, action, object_type, outcome, "
                "detail) VALUES (CURRENT_TIMESTAMP, 'system', 'probe', 'probe', 'success', "
                "'{}')"))
            queued = connection.scalar(text(
                "SELECT count(*) FROM audit_pending JOIN audit_entries USING (seq) "
                "WHERE action = 'probe'"))
    finally:
        engine.dispose()
    assert queued == 1
