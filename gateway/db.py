"""Engines and the request-scoped sessions: one request, one transaction, committed at the end.

With ``GATEWAY_DATABASE_REPLICA_URL`` set, a second, read-only engine serves the few views that
read through :func:`replica_session` (README, "Scale-out"); everything else uses the primary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from flask import Flask, Response, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from gateway.models.base import sessions_in_utc

EXTENSION_KEY = "gateway.db"
REPLICA_KEY = "gateway.db.replica"


# orjson reads an integer beyond 64 bits as a float (a lossy one): a text with a run of 19
# digits, which such an integer needs, goes to ``json``
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def json_loads(data: str | bytes) -> Any:
    """A JSON column's value, as ``json.loads`` reads it: by orjson (five times faster for a
    short list), except where orjson would differ, which goes to ``json`` itself: an integer
    beyond 64 bits, and what orjson refuses (NaN, infinities, lone surrogates)."""
    if (_LONG_DIGITS_BYTES if isinstance(data, bytes) else _LONG_DIGITS).search(data):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _session_in_utc(dbapi_connection, _record) -> None:
    """A new PostgreSQL connection's time zone set to UTC, in which psycopg then returns every
    timestamp. A ``SET`` rather than a startup option, which PgBouncer refuses; PgBouncer
    keeps a client's ``TimeZone`` and sets it on whichever server connection serves it."""
    if dbapi_connection.info.parameter_status("TimeZone") != "UTC":
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


def make_engine(url: str, *, prepared_statements: bool = True, read_only: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-serialised transactions.

    PostgreSQL connections are not pinged on every checkout (a round trip per request): a
    connection the server dropped fails its request with a 503 (``gateway/problems.py``), the
    pool then discards every connection of that age, and the next request reconnects.
    ``prepared_statements=False`` (``GATEWAY_DATABASE_PREPARED_STATEMENTS=false``) is for a
    pooler in transaction mode (PgBouncer before 1.21): psycopg then never prepares a statement
    server-side, which would not survive a move to another server connection.
    ``read_only=True`` (PostgreSQL only: a replica) opens every transaction READ ONLY. JSON
    columns are read with :func:`json_loads`; PostgreSQL sessions run in UTC.
    """
    if not url.startswith("sqlite"):
        engine = create_engine(url, json_deserializer=json_loads,
                               connect_args={} if prepared_statements
                               else {"prepare_threshold": None})
        event.listen(engine, "connect", _session_in_utc)
        sessions_in_utc(engine)
        return engine.execution_options(postgresql_readonly=True) if read_only else engine
    if read_only:
        raise ValueError("a read-only engine is for a PostgreSQL replica")
    engine = create_engine(url, json_deserializer=json_loads, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent workers queue instead of
        # failing on a read-to-write lock upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_db(app: Flask) -> None:
    """Bind an engine and session factory to ``app`` (and the replica's, if configured) and
    manage the request's sessions."""
    prepared = app.config["DATABASE_PREPARED_STATEMENTS"]
    engine = make_engine(app.config["DATABASE_URL"], prepared_statements=prepared)
    app.extensions[EXTENSION_KEY] = sessionmaker(engine, expire_on_commit=False)
    if app.config["DATABASE_REPLICA_URL"]:
        replica = make_engine(app.config["DATABASE_REPLICA_URL"], prepared_statements=prepared,
                              read_only=True)
        app.extensions[REPLICA_KEY] = sessionmaker(replica, expire_on_commit=False)

    @app.after_request
    def _finish_transaction(response: Response) -> Response:
        _close_replica_session()
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_appcontext
    def _discard_session(_exc: BaseException | None) -> None:
        _close_replica_session()
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def db_session() -> Session:
    """The session of the current request or CLI command (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION_KEY]()
    return g.db_session


def replica_session() -> Session:
    """A session for reads that are safe on a slightly stale replica and write nothing (no
    audit entry); the request's primary session when no replica is configured."""
    factory = current_app.extensions.get(REPLICA_KEY)
    if factory is None:
        return db_session()
    if "replica_session" not in g:
        g.replica_session = factory()
    return g.replica_session


def _close_replica_session() -> None:
    """End the replica's read-only transaction, if the request opened one."""
    session: Session | None = g.pop("replica_session", None)
    if session is not None:
        session.rollback()
        session.close()


def engine_of(app: Flask) -> Engine:
    """The engine bound to ``app``."""
    return app.extensions[EXTENSION_KEY].kw["bind"]


@contextmanager
def transaction(app: Flask) -> Iterator[Session]:
    """A session for CLI work outside a request: commits on success, rolls back on error."""
    with app.extensions[EXTENSION_KEY]() as session, session.begin():
        yield session
