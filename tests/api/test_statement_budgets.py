"""Statement budgets per request: each hot request runs at most a fixed number of SQL statements.

Counted like ``tests/referrals/test_list_queries.py``; issue 14's budgets were token issue <= 4,
referral create <= 8, an inbox page <= 6 whatever its size; each is now what was reached. The
sender, recipient, partnerships, student's row and consents of a create come in one query; the
database adds an audit entry's pending row (one statement less for every audited request); a
token request finds its client in the process's copy, re-read at most once a second; the
consent facts load the institutions, subjects and consents in one query (an inbox page 4 → 3:
the page, the facts, the audit entry), and an inbox page joins them to its own rows (3 → 2:
the page with its facts, the audit entry); a referral read (7 before) loads the
referral and its onward chain in one query, its two institutions coming with the facts. On
PostgreSQL a create's queued rows (audit entries, event, notice) go in one statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from gateway.db import engine_of
from tests.privacy_support import make_scene
from tests.support import bearer

TOKEN_ISSUE, REFERRAL_CREATE, INBOX_PAGE, REFERRAL_READ = 2, 5, 2, 3
REFERRAL_CREATE_POSTGRESQL = 3  # the parties, the referral, and (row_queue) the rest at once
# transaction control is not a statement that reads or writes (and PostgreSQL's BEGIN is
# implicit in the driver, SQLite's explicit): what is counted is the same on both databases
CONTROL = re.compile(r"\s*(BEGIN|SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)


@contextmanager
def counted(app) -> Iterator[Callable[[], list[str]]]:
    """The data statements the app's engine runs inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not CONTROL.match(statement):
            statements.append(statement)

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def scene(client, make_partner, token_for, link):
    """A university and a hospital in partnership, a consent for ``stu-001``, one referral."""
    made = make_scene(client, make_partner, token_for, link)
    assert made.consent(subject="stu-001").status_code == 201
    assert made.refer(subject="stu-001").status_code == 201  # warm: first-use lookups done
    return made


def _listing(statements: list[str]) -> str:
    return "\n".join(f"{n}. {' '.join(s.split())[:400]}" for n, s in enumerate(statements, 1))


def test_a_token_is_issued_within_its_statement_budget(app, client, scene):
    with counted(app) as statements:
        response = client.post("/oauth/token", data=scene.uni.token_form())
    assert response.status_code == 200
    assert len(statements()) <= TOKEN_ISSUE, _listing(statements())


def test_a_referral_is_created_within_its_statement_budget(app, scene):
    with counted(app) as statements:
        created = scene.refer(subject="stu-001")
    assert created.status_code == 201, created.get_json()
    budget = (REFERRAL_CREATE_POSTGRESQL if engine_of(app).dialect.name == "postgresql"
              else REFERRAL_CREATE)
    assert len(statements()) <= budget, _listing(statements())


@pytest.mark.parametrize("limit", [1, 20, 100])
def test_an_inbox_page_is_read_within_its_statement_budget(app, scene, limit):
    for _ in range(3):
        assert scene.refer(subject="stu-001").status_code == 201
    with counted(app) as statements:
        page = scene.client.get("/api/v1/referrals", query_string={"box": "inbox",
                                                                   "limit": limit},
                                headers=bearer(scene.hosp_token))
    assert page.status_code == 200 and page.get_json()["items"]
    assert len(statements()) <= INBOX_PAGE, _listing(statements())


def _refer_at_risk(scene, count: int) -> None:
    for index in range(count):
        created = scene.refer(["identity", "summary", "risk_assessment"],
                              subject=f"stu-r{index % 6}")
        assert created.status_code == 201, created.get_json()


def _filtered_page(app, scene, limit: int) -> list[str]:
    with counted(app) as statements:
        page = scene.client.get("/api/v1/referrals", query_string={
            "box": "inbox", "limit": limit, "risk_level": "high", "total": "true"},
            headers=bearer(scene.hosp_token))
    assert page.status_code == 200 and page.get_json()["next_cursor"] is not None
    return statements()


@pytest.mark.parametrize("limit", [1, 2])
def test_an_inbox_page_filtered_on_risk_level_is_bounded_whatever_the_box(app, scene, limit):
    """The filter examines a bounded window and decides it in one batch: the same statements
    for a box just over the window as for one many times its size, within the page budget."""
    for index in range(6):
        assert scene.consent(["identity", "clinical_notes", "risk_assessment"],
                             subject=f"stu-r{index}").status_code == 201
    _refer_at_risk(scene, 11)  # just over the widest window of these pages (10)
    small = _filtered_page(app, scene, limit)
    _refer_at_risk(scene, 40)
    large = _filtered_page(app, scene, limit)
    assert len(large) == len(small), _listing(large)
    assert len(large) <= INBOX_PAGE, _listing(large)


def test_a_referral_is_read_within_its_statement_budget(app, scene):
    created = scene.refer(subject="stu-001")
    assert created.status_code == 201
    with counted(app) as statements:
        read = scene.client.get(f"/api/v1/referrals/{created.get_json()['id']}",
                                headers=bearer(scene.hosp_token))
    assert read.status_code == 200, read.get_json()
    assert len(statements()) <= REFERRAL_READ, _listing(statements())
