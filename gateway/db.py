"""Engine and the request-scoped session: one request, one transaction, committed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "gateway.db"


def make_engine(url: str, *, prepared_statements: bool = True) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-serialised transactions.

    PostgreSQL connections are not pinged on every checkout (a round trip per request): a
    connection the server dropped fails its request with a 503 (``gateway/problems.py``), the
    pool then discards every connection of that age, and the next request reconnects.
    ``prepared_statements=False`` (``GATEWAY_DATABASE_PREPARED_STATEMENTS=false``) is for a
    pooler in transaction mode (PgBouncer before 1.21): psycopg then never prepares a statement
    server-side, which would not survive a move to another server connection.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, connect_args={} if prepared_statements
                             else {"prepare_threshold": None})
    engine = create_engine(url, connect_args={"timeout": 30})

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
    """Bind an engine and session factory to ``app`` and manage the request session."""
    engine = make_engine(app.config["DATABASE_URL"],
                         prepared_statements=app.config["DATABASE_PREPARED_STATEMENTS"])
    app.extensions[EXTENSION_KEY] = sessionmaker(engine, expire_on_commit=False)

    @app.after_request
    def _finish_transaction(response: Response) -> Response:
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
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def db_session() -> Session:
    """The session of the current request or CLI command (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION_KEY]()
    return g.db_session


def engine_of(app: Flask) -> Engine:
    """The engine bound to ``app``."""
    return app.extensions[EXTENSION_KEY].kw["bind"]


@contextmanager
def transaction(app: Flask) -> Iterator[Session]:
    """A session for CLI work outside a request: commits on success, rolls back on error."""
    with app.extensions[EXTENSION_KEY]() as session, session.begin():
        yield session
