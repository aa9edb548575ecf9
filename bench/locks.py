"""Sampling ``pg_stat_activity`` during a run: the share of active backends waiting on a lock."""

from __future__ import annotations

import threading
from types import TracebackType

import psycopg
from sqlalchemy.engine import make_url

SAMPLE_EVERY = 0.1  # seconds
QUERY = """
SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
"""


class LockSampler:
    """While entered, samples the database's active backends every ``SAMPLE_EVERY`` seconds."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self._dsn = (f"host={url.host} port={url.port or 5432} user={url.username} "
                     f"dbname={url.database}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.waiting = 0
        self.active = 0

    def _sample(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as connection:
            while not self._stop.wait(SAMPLE_EVERY):
                waiting, active = connection.execute(QUERY).fetchone()
                self.waiting += waiting
                self.active += active

    @property
    def share(self) -> float:
        """Waiting on a lock / active, over every sample (0 when none was active)."""
        return self.waiting / self.active if self.active else 0.0

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None
                 ) -> None:
        self._stop.set()
        self._thread.join()
