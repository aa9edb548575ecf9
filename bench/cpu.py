"""Where a case's CPU goes: gunicorn's processes and the database's backends (Linux ``/proc``).

The ratio to the bare insert says how much slower the gateway is; this says on which side of
the connection the time is spent, per request: in the app's Python (gunicorn's master and
workers) or in PostgreSQL (the backends connected to the bench's database). A backend that
exits during a run takes its CPU with it (the pools keep theirs open, so few do), and the
server's background processes (WAL writer, checkpointer) are not counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

TICKS = os.sysconf("SC_CLK_TCK")
BACKENDS = """
SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def _seconds(pid: int | str) -> float:
    """User + system CPU seconds of one process; 0 if it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def tree_seconds(master: int) -> float:
    """CPU seconds a process and its children (gunicorn's master and workers) have used."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sum(_seconds(pid) for pid in [master, *children])


def _backend_seconds(connection: psycopg.Connection) -> dict[int, float]:
    return {pid: _seconds(pid) for (pid,) in connection.execute(BACKENDS)}


@dataclass
class CpuShare:
    """CPU ms per request of the server and of the database during a run."""

    server_ms: float
    database_ms: float | None

    def as_dict(self) -> dict:
        """For ``latest.json``."""
        return {"server_ms": round(self.server_ms, 3),
                "database_ms": None if self.database_ms is None else round(self.database_ms, 3)}


class CpuMeter:
    """While entered, counts the CPU of gunicorn ``master``'s processes and, with a PostgreSQL
    ``database_url``, of that database's backends; :meth:`per_request` divides it."""

    def __init__(self, master: int, database_url: str | None) -> None:
        self._master = master
        self._dsn = None
        if database_url:
            url = make_url(database_url)
            self._dsn = (f"host={url.host} port={url.port or 5432} user={url.username} "
                         f"dbname={url.database}")
        self._connection: psycopg.Connection | None = None
        self._server = 0.0
        self._backends: dict[int, float] = {}

    def __enter__(self) -> CpuMeter:
        if self._dsn:
            self._connection = psycopg.connect(self._dsn, autocommit=True)
            self._backends = _backend_seconds(self._connection)
        self._server = tree_seconds(self._master)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server = tree_seconds(self._master) - self._server
        if self._connection:
            with self._connection:  # closes it
                after = _backend_seconds(self._connection)
            self._backends = {pid: seconds - self._backends.get(pid, 0.0)
                              for pid, seconds in after.items()}

    def per_request(self, requests: int) -> CpuShare:
        """The counted CPU in ms per request over ``requests`` requests."""
        count = max(requests, 1)
        database = (sum(self._backends.values()) * 1000 / count if self._dsn else None)
        return CpuShare(self._server * 1000 / count, database)
