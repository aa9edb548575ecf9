"""Statement budgets per request: each hot request runs at most a fixed number of SQL statements.

Counted like ``tests/referrals/test_list_queries.py``; the budgets are issue 14's: token issue
<= 4, referral create <= 8, an inbox page <= 6 whatever its size.
"""

from __future__ import annotations

import pytest

from tests.privacy_support import make_scene
from tests.referrals.test_list_queries import counted
from tests.support import bearer

TOKEN_ISSUE, REFERRAL_CREATE, INBOX_PAGE = 4, 8, 6


@pytest.fixture
def scene(client, make_partner, token_for, link):
    """A university and a hospital in partnership, a consent for ``stu-001``, one referral."""
    made = make_scene(client, make_partner, token_for, link)
    assert made.consent(subject="stu-001").status_code == 201
    assert made.refer(subject="stu-001").status_code == 201  # warm: first-use lookups done
    return made


def _listing(statements: list[str]) -> str:
    return "\n".join(f"{n}. {s.split(chr(10))[0][:160]}" for n, s in enumerate(statements, 1))


def test_a_token_is_issued_within_its_statement_budget(app, client, scene):
    with counted(app) as statements:
        response = client.post("/oauth/token", data=scene.uni.token_form())
    assert response.status_code == 200
    assert statements() <= TOKEN_ISSUE, _listing(statements.statements)


def test_a_referral_is_created_within_its_statement_budget(app, scene):
    with counted(app) as statements:
        created = scene.refer(subject="stu-001")
    assert created.status_code == 201, created.get_json()
    assert statements() <= REFERRAL_CREATE, _listing(statements.statements)


@pytest.mark.parametrize("limit", [1, 20, 100])
def test_an_inbox_page_is_read_within_its_statement_budget(app, scene, limit):
    for _ in range(3):
        assert scene.refer(subject="stu-001").status_code == 201
    with counted(app) as statements:
        page = scene.client.get("/api/v1/referrals", query_string={"box": "inbox",
                                                                   "limit": limit},
                                headers=bearer(scene.hosp_token))
    assert page.status_code == 200 and page.get_json()["items"]
    assert statements() <= INBOX_PAGE, _listing(statements.statements)
