"""Rows nobody reads back in the request (audit entries, referral events, outbox notices),
queued as plain dicts and written with prebuilt Core INSERTs in the caller's transaction.

A queued row costs no ORM instance, attribute events or identity-map work. Rows are written,
one INSERT per statement for however many were queued (in the order queued; on PostgreSQL a
few rows of several tables in one statement, each table's INSERT a CTE of it), after the
unit of work of the session's next flush, so a row may name a row that flush inserts (an
event its new referral); when nothing else is to be flushed, at the commit of the transaction
or savepoint, before a savepoint begins (so the savepoint's rollback cannot take them), and
before an ORM query of the session runs (after its autoflush): a query sees what the
transaction queued, as it sees pending objects. A rollback discards what is still queued; what
was written goes with the rolled-back transaction or savepoint.

A new object the request goes on reading (a created referral) may be queued too
(:func:`add_persistent`): its row goes first, and the object stays in the session as if loaded.

A hot read of plain columns (no ORM entity) may skip the ORM's result machinery with
:func:`plain_rows`, which keeps both promises of an ORM query: pending objects flushed and
queued rows written before it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import (
    Connection,
    Executable,
    Insert,
    Row,
    TextClause,
    bindparam,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.orm import (
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    make_transient_to_detached,
)

KEY = "gateway.row_queue"
_FLUSHING = "gateway.row_queue.flushing"
# On PostgreSQL, the rows of several tables go in one statement (the others' INSERTs as
# data-modifying CTEs of the last one): a round trip and a statement execution less per table.
# Up to this many rows of a table, so that the statements kept, one per shape, stay few
COMBINED_ROWS = 8
# and up to this many parameters in all: psycopg keeps its conversion of a statement's
# placeholders for statements of up to 50 (MAX_CACHED_STATEMENT_PARAMS) and converts a longer
# one again on every execution (0.45 ms for 75, more than the statement it saves)
COMBINED_PARAMETERS = 50
Piece = tuple[Insert, list[dict]]  # a statement and its rows
Shape = tuple[tuple[Insert, tuple[str, ...], int], ...]
_COMBINED: dict[Shape, TextClause | None] = {}


def add(session: Session, statement: Insert, row: dict) -> None:
    """Queue ``row`` for ``statement`` (a prebuilt INSERT) in the session's transaction."""
    session.info.setdefault(KEY, []).append((statement, row))


def add_persistent(session: Session, instance: object) -> None:
    """Queue the row of ``instance``, pending in the session, ahead of every queued row (which
    may name it), and keep ``instance`` in the session as persistent, as if loaded: no unit of
    work inserts it, and a later read finds it in the identity map.

    Every column is stored as set in Python: one with a default must be set (the row gets no
    default), one without is stored as None when unset. Objects still pending are inserted
    before it (by the flush that writes the queue), so none of them may name it.
    """
    state = inspect(instance)
    statement, columns = _insert_of(state.mapper)
    values, row = state.dict, {}
    for key, column, defaulted in columns:
        if defaulted and key not in values:
            raise ValueError(f"set {key} before queuing the row: it has a default")
        row[column] = values.setdefault(key, None)  # unset: None, as loaded
    session.expunge(instance)
    make_transient_to_detached(instance)  # every attribute as set, none to load or to flush
    session.add(instance)
    session.info.setdefault(KEY, []).insert(0, (statement, row))


@cache
def _insert_of(mapper: Mapper) -> tuple[Insert, tuple[tuple[str, str, bool], ...]]:
    """The INSERT of the mapper's table, built once so that its compiled forms are cached, and
    each column's attribute, name and whether it has a default."""
    return insert(mapper.local_table), tuple(
        (prop.key, column.key, column.default is not None or column.server_default is not None)
        for prop in mapper.column_attrs for column in prop.columns[:1])


def plain_rows(session: Session, statement: Executable, params: dict) -> Sequence[Row]:
    """The rows of ``statement``, a SELECT of plain columns, run on the session's connection:
    what ``session.execute(...).all()`` returns, less its ORM result setup and per-row loading
    (about 0.13 ms on a page's 20 rows), fetched from the driver in one call rather than a row
    at a time. As an ORM query would, it first flushes pending objects and writes what is
    queued (unless autoflush is off)."""
    if session.autoflush:
        session.flush()
    _write_for_query(session)
    return session.connection().execute(statement, params).all()


def write(session: Session) -> None:
    """Write what is queued now, rather than at the next flush or query."""
    _write(session)


def _write(session: Session, transaction: SessionTransaction | None = None) -> None:
    """Insert everything queued: one executemany per statement, in the order first queued
    (on PostgreSQL, a few rows of several consecutive statements in one)."""
    queued = session.info.pop(KEY, None)
    if not queued:
        return
    connection = session.connection() if transaction is None else transaction.connection(None)
    by_statement: dict[Insert, list[dict]] = {}
    for statement, row in queued:
        by_statement.setdefault(statement, []).append(row)
    pieces = list(by_statement.items())
    for run in (_runs(pieces) if connection.dialect.name == "postgresql"
                else [[piece] for piece in pieces]):
        combined = _combined(connection, run) if len(run) > 1 else None
        if combined is None:
            for statement, rows in run:
                connection.execute(statement, rows)
            continue
        connection.execute(combined, {
            f"q{i}_{j}_{name}": row[name]
            for i, (_, rows) in enumerate(run)
            for j, row in enumerate(rows) for name in rows[0]})


def _runs(pieces: list[Piece]) -> list[list[Piece]]:
    """The queued statements and their rows in consecutive runs, each to write in one
    statement: up to ``COMBINED_ROWS`` rows of a table, ``COMBINED_PARAMETERS`` in all."""
    runs: list[list[Piece]] = []
    size = 0
    for statement, rows in pieces:
        count = (len(rows) * len(rows[0]) if len(rows) <= COMBINED_ROWS
                 else COMBINED_PARAMETERS + 1)  # alone
        if not runs or size + count > COMBINED_PARAMETERS:
            runs.append([])
            size = 0
        runs[-1].append((statement, rows))
        size += count
    return runs


def _combined(connection: Connection, run: list[Piece]) -> TextClause | None:
    """The one statement writing ``run`` (built once per shape), or None if it has none."""
    shape = tuple((statement, tuple(rows[0]), len(rows)) for statement, rows in run)
    if shape not in _COMBINED:
        _COMBINED[shape] = _combine(connection, shape)
    return _COMBINED[shape]


def _combine(connection: Connection, shape: Shape) -> TextClause | None:
    """One statement inserting every table's rows as its own INSERT would (multi-row VALUES,
    so in the order queued), or None when a column left out has a Python-side default (which
    only the INSERT construct applies). Written as text: SQLAlchemy caches no multi-row VALUES
    construct and would compile one on every request; typed parameters keep every column's
    conversion (encryption included)."""
    quote = connection.dialect.identifier_preparer
    inserts, parameters = [], []
    for i, (statement, names, count) in enumerate(shape):
        table = statement.table
        if any(column.default is not None and column.key not in names
               for column in table.columns):
            return None
        columns = [table.c[name] for name in names]
        rows = []
        for j in range(count):
            row = [bindparam(f"q{i}_{j}_{column.key}", type_=column.type) for column in columns]
            parameters += row
            rows.append("(" + ", ".join(f":{parameter.key}" for parameter in row) + ")")
        names_sql = ", ".join(quote.quote(column.name) for column in columns)
        inserts.append(f"INSERT INTO {quote.format_table(table)} ({names_sql}) "  # noqa: S608
                       f"VALUES {', '.join(rows)}")  # quoted names, bound values
    *first, last = inserts
    ctes = ", ".join(f"q{i} AS ({sql})" for i, sql in enumerate(first))
    return text(f"WITH {ctes} {last}").bindparams(*parameters)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _objects: object) -> None:
    session.info[_FLUSHING] = True


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    _write(session)


@event.listens_for(Session, "after_flush_postexec")
def _flushed(session: Session, _context: UOWTransaction) -> None:
    session.info.pop(_FLUSHING, None)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    # the query's autoflush ran already (pending objects the rows may name are written);
    # a query the unit of work itself makes mid-flush waits for the flush's own write
    _write_for_query(state.session)


def _write_for_query(session: Session) -> None:
    """Write what is queued before a query of the session reads, as autoflush would."""
    if KEY in session.info and session.autoflush and not session.info.get(_FLUSHING):
        _write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if KEY in session.info:
        session.flush()  # rows naming pending objects follow them (commit would flush next)
        _write(session)


@event.listens_for(Session, "after_transaction_create")
def _before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # the savepoint's own flush ran already (if anything was dirty), its SAVEPOINT is not yet
    # emitted: what is still queued belongs to the enclosing transaction and is written there
    if transaction.nested and KEY in session.info:
        _write(session, transaction.parent)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested or transaction.parent is None:  # not a flush's subtransaction
        session.info.pop(KEY, None)
        session.info.pop(_FLUSHING, None)  # a flush that failed ends no flush of its own
