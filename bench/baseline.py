"""The bench's baseline: a bare Flask + SQLAlchemy app, served by gunicorn like the gateway.

``POST /insert`` parses the JSON body and INSERTs one row in one transaction: the stack's own
limit, against which every gateway case is a ratio. ``GET /audited/log/<id>`` and
``GET /audited/plain/<id>`` read one row and audit the read, the first with the gateway's
transparency-log append (:func:`gateway.services.audit.journal.record`), the second with a plain
one-row insert of the same columns: their ratio is what the log costs an audited request.

Run as ``gunicorn -c gunicorn.conf.py 'bench.baseline:create_app()'`` with
``BENCH_BASELINE_DATABASE_URL`` naming the gateway's (migrated) database.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from flask import Flask, abort, jsonify, request
from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from gateway.db import make_engine
from gateway.services.actor import Actor
from gateway.services.audit import journal

BigId = BigInteger().with_variant(Integer, "sqlite")
ACTOR = Actor.system("bench")


class Base(DeclarativeBase):
    """The baseline's own tables (``bench_*``), next to the gateway's in the same database."""


class Row(Base):
    """One inserted request body."""

    __tablename__ = "bench_row"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[dict] = mapped_column(JSON)


class PlainAudit(Base):
    """An audit entry's columns as a plain table: no pending row, no tree."""

    __tablename__ = "bench_plain_audit"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON)


def create_tables(url: str) -> str:
    """Create the baseline's tables in ``url`` and one row to read; returns that row's id."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    row_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(Row(id=row_id, created_at=datetime.now(UTC), body={"seed": True}))
    engine.dispose()
    return row_id


def create_app() -> Flask:
    """The baseline app on ``BENCH_BASELINE_DATABASE_URL``."""
    app = Flask(__name__)
    sessions = sessionmaker(make_engine(os.environ["BENCH_BASELINE_DATABASE_URL"]))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/insert")
    def insert():
        row_id = str(uuid.uuid4())
        with sessions.begin() as session:
            session.add(Row(id=row_id, created_at=datetime.now(UTC), body=request.get_json()))
        return jsonify(id=row_id), 201

    def _read(session: Session, row_id: str) -> Row:
        row = session.scalar(select(Row).where(Row.id == row_id))
        if row is None:
            abort(404)
        return row

    @app.get("/audited/log/<row_id>")
    def audited_with_log(row_id: str):
        with sessions.begin() as session:
            row = _read(session, row_id)
            journal.record(session, ACTOR, "bench.read", "bench_row", row.id,
                           detail={"fields": ["body"]})
            return jsonify(id=row.id, body=row.body)

    @app.get("/audited/plain/<row_id>")
    def audited_with_plain_insert(row_id: str):
        with sessions.begin() as session:
            row = _read(session, row_id)
            session.add(PlainAudit(recorded_at=datetime.now(UTC), actor=ACTOR.label,
                                   action="bench.read", object_type="bench_row",
                                   object_id=row.id, outcome=journal.SUCCESS,
                                   detail={"fields": ["body"]}))
            return jsonify(id=row.id, body=row.body)

    return app
