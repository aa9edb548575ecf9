"""Fixtures of the audit log tests: the log's identity, sealing, checking online and offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.audit.audit import Finding
from gateway.audit.verify import verify_directory
from gateway.cli import seal_until_done
from gateway.db import transaction
from gateway.keystore import current_log_of
from gateway.services.audit import integrity, journal
from gateway.services.audit.log import LogIdentity
from tests.support import TESTER


@pytest.fixture
def log(app) -> LogIdentity:
    """The audit log's origin and keys."""
    return current_log_of(app)


@pytest.fixture
def seal(app) -> Callable[[], int | None]:
    """Seal everything committed; returns the tree size."""
    return lambda: seal_until_done(app)


@pytest.fixture
def append(app) -> Callable[..., None]:
    """Commit ``n`` test entries, one transaction each."""

    def add(n: int, start: int = 0) -> None:
        for number in range(start, start + n):
            with transaction(app) as session:
                journal.record(session, TESTER, "test.event", "thing", number,
                               detail={"n": number})

    return add


@pytest.fixture
def verify_online(app, log) -> Callable[[], Finding]:
    """``audit verify`` on the database."""

    def check() -> Finding:
        with transaction(app) as session:
            return integrity.verify_log(session, log.verifiers)

    return check


@pytest.fixture
def verify_offline(app, log, tmp_path) -> Callable[[], Finding]:
    """Export, then check the export with the stand-alone verifier (the log's vkeys given)."""

    def check() -> Finding:
        directory = tmp_path / f"export-{len(list(tmp_path.iterdir()))}"
        with transaction(app) as session:
            integrity.export(session, log.verifiers, Path(directory))
        return verify_directory(directory, log.vkeys())

    return check
