"""PostgreSQL reads every inbox order from its index, first page and deep page alike: the
keyset row comparison bounds the index scan and none of the box is sorted in memory, only the
page's own rows with the consent facts joined to them (migration 0020's hand-made expression
index must equal ``Referral.deadline_order`` as SQLAlchemy renders it)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, text

from gateway.db import engine_of, transaction
from gateway.services.actor import Actor
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import reads

pytestmark = pytest.mark.skipif(os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") != "postgresql",
                                reason="PostgreSQL's query plans")


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def _page(app, scene, sort: str, cursor: str | None) -> tuple[tuple[str, object], str | None]:
    """The referrals query a one-item inbox page runs (with its parameters), and its cursor."""
    found: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:
        if "FROM referrals" in statement:
            found.append((statement, parameters))

    actor = Actor("test", scene.hosp.institution_id, frozenset({"referrals:read"}))
    event.listen(engine_of(app), "before_cursor_execute", keep)
    try:
        with transaction(app) as session:
            page = reads.list_box(session, actor, sort=sort, cursor=cursor, limit=1,
                                  policy=Policy.from_config(app.config))
    finally:
        event.remove(engine_of(app), "before_cursor_execute", keep)
    assert len(found) == 1 and len(page.items) == 1, found
    return found[0], page.next_cursor


def _plan(app, statement: str, parameters) -> list[dict]:
    with engine_of(app).connect() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table otherwise
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                          parameters).scalar()
        connection.rollback()
    return _nodes(plan[0]["Plan"])


@pytest.mark.parametrize(("sort", "index"), [("newest", "ix_referrals_inbox"),
                                             ("deadline", "ix_referrals_inbox_deadline"),
                                             ("last_updated", "ix_referrals_inbox_updated"),
                                             ("-last_updated", "ix_referrals_inbox_updated")])
def test_each_inbox_order_reads_its_index_without_sorting(app, scene, sort, index):
    assert scene.consent().status_code == 201
    for _ in range(3):
        assert scene.refer().status_code == 201
    first, cursor = _page(app, scene, sort, None)
    deep, _next = _page(app, scene, sort, cursor)
    for statement, parameters in (first, deep):
        plan = _plan(app, statement, parameters)
        limit = next(node for node in plan if node["Node Type"] == "Limit")
        page = _nodes(limit)  # the page's referrals; the facts are joined to them above it
        assert index in {node.get("Index Name") for node in page}, plan
        assert not any("Sort" in node["Node Type"] for node in page), plan
        # what is sorted is the page's own rows, each with its consents, never the box
        assert all(limit in _nodes(node) for node in plan if "Sort" in node["Node Type"]), plan
    scan = next(node for node in _plan(app, *deep) if node.get("Index Name") == index)
    assert "ROW(" in scan["Index Cond"], scan  # the cursor bounds the scan, not a filter


def test_a_page_of_a_large_box_runs_on_its_prepared_generic_plan(app, scene):
    """psycopg prepares a statement on its fifth execution; PostgreSQL then plans it for its
    first five and keeps one generic plan if that costs no more than their custom ones. A page's
    LIMIT and the draft it leaves out are in the statement's text: bound, the generic plan was
    costed for a tenth of the box and for none of a box in one status, sorted the whole box,
    lost to the custom plans, and a large box's page was planned again on every request."""
    assert scene.consent().status_code == 201
    assert scene.refer().status_code == 201
    with transaction(app) as session:  # the one referral, 20,000 times over
        session.execute(text("CREATE TEMP TABLE copies ON COMMIT DROP AS "
                             "SELECT referrals.* FROM referrals, generate_series(1, 20000)"))
        session.execute(text("UPDATE copies SET id = gen_random_uuid()"))
        session.execute(text("INSERT INTO referrals SELECT * FROM copies"))
    with engine_of(app).connect() as connection:
        connection.exec_driver_sql("ANALYZE referrals")
        connection.commit()
    actor = Actor("test", scene.hosp.institution_id, frozenset({"referrals:read"}))
    with transaction(app) as session:
        for _ in range(20):
            assert len(reads.list_box(session, actor, policy=Policy.from_config(app.config))
                       .items) == 20
        plans = session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%FROM referrals%'")).all()
    assert len(plans) == 1, plans
    (generic, custom), = plans
    assert custom <= 5 and generic >= 10, plans  # five plans made to compare, then one kept
