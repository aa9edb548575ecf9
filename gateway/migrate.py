"""Run Alembic migrations programmatically (CLI, tests, benchmarks) and make scratch databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Made by hand in migrations, unknown to the models: FTS5 tables, trigram index. (Triggers and
# their functions, such as audit_entries_pending, are never compared: nothing to leave alone.)
HAND_MADE_PREFIXES = ("resources_fts", "ix_resources_search_trgm", "ix_referrals_inbox_deadline")


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Leave hand-made objects alone when comparing the models with the database."""
    return not (reflected and compare_to is None and (name or "").startswith(HAND_MADE_PREFIXES))


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate ``database_url`` to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


@contextmanager
def scratch_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server_url`` (tests, benchmarks); dropped after."""
    server = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = (f"host={server.host} port={server.port or 5432} user={server.username} "
             f"dbname={server.database} connect_timeout=3")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
