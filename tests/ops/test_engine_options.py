"""Engine options for deployment: psycopg's server-side prepared statements can be turned off
for PgBouncer in transaction mode (a prepared statement would not follow the transaction to
another server connection); a replica engine is read-only; sessions run in UTC."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gateway.db import make_engine
from gateway.models.base import UTCDateTime

REPEATS = 8  # psycopg prepares a statement server-side from its 5th execution


def _prepared_after_repeats(url: str, *, prepared_statements: bool) -> int:
    engine = make_engine(url, prepared_statements=prepared_statements)
    try:
        with engine.connect() as connection:
            for _ in range(REPEATS):
                connection.execute(text("SELECT count(*) FROM institutions"))
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements").scalar_one()
    finally:
        engine.dispose()


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("server-side prepared statements are PostgreSQL's")
    assert _prepared_after_repeats(database_url, prepared_statements=True) > 0
    assert _prepared_after_repeats(database_url, prepared_statements=False) == 0


def test_a_replica_engine_reads_and_refuses_every_write(database_url):
    if not database_url.startswith("postgresql"):
        with pytest.raises(ValueError):
            make_engine(database_url, read_only=True)
        return
    engine = make_engine(database_url, read_only=True)
    try:
        for _ in range(2):  # a connection back from the pool is still read-only
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM institutions")).scalar() >= 0
                with pytest.raises(DBAPIError, match="read-only transaction"):
                    connection.execute(text("UPDATE institutions SET name = name"))
    finally:
        engine.dispose()


def test_timestamps_come_back_in_utc_whatever_the_servers_zone(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps no time zone")
    elsewhere = make_url(database_url).update_query_dict(
        {"options": "-c TimeZone=Asia/Shanghai"}).render_as_string(hide_password=False)
    now = select(type_coerce(func.now(), UTCDateTime()))
    plain = create_engine(elsewhere)  # the zone asked for really is the session's
    with plain.connect() as connection:
        assert connection.execute(select(func.now())).scalar().utcoffset() == timedelta(hours=8)
    plain.dispose()
    engine = make_engine(elsewhere)
    try:
        for _ in range(2):  # a connection back from the pool too
            with engine.connect() as connection:
                assert connection.execute(text("SHOW TimeZone")).scalar() == "UTC"
                assert connection.execute(now).scalar().tzinfo is UTC
    finally:
        engine.dispose()
