"""List reads decide consent for a whole page at once: the SQL statements per page are constant."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from gateway.db import engine_of, transaction
from gateway.services.actor import Actor
from gateway.services.privacy import disclosure
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import reads, triage
from tests.factories.privacy import born_years_ago
from tests.privacy_support import make_conference, make_scene
from tests.support import bearer

WHY = "Student on the roof edge, guardian unreachable; ambulance called, hospital must prepare."
EMERGENCY_SCOPES = ["referrals:read", "referrals:write", "referrals:emergency",
                    "consents:read", "consents:write"]
MINOR = born_years_ago(15)


@contextmanager
def counted(app) -> Iterator[Callable[[], int]]:
    """Count the SQL statements the app's engine runs inside the block (``.statements``
    of the returned callable lists them)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", count)
    def how_many() -> int:
        return len(statements)

    how_many.statements = statements
    try:
        yield how_many
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _send(scene, index: int) -> str:
    """One referral about its own subject, under one of five kinds of consent (by index)."""
    subject, variant = f"stu-{index:03d}", index % 5
    if variant == 0:  # an adult; the consent names the hospital
        assert scene.consent(subject=subject).status_code == 201
        created = scene.refer(subject=subject)
    elif variant == 1:  # the consent names hospitals within a partnership
        assert scene.consent(subject=subject, recipient_kinds=["hospital"]).status_code == 201
        created = scene.refer(subject=subject)
    elif variant == 2:  # a minor: student and guardian consent, risk assessment released
        for grantor in ("student", "guardian"):
            assert scene.consent(["identity", "risk_assessment", "clinical_notes"],
                                 grantor=grantor, subject=subject,
                                 birth_date=MINOR).status_code == 201
        created = scene.refer(["identity", "risk_assessment", "summary"], subject=subject,
                              birth_date=MINOR)
    elif variant == 3:  # consent revoked after sending: the recipient sees nothing now
        granted = scene.consent(subject=subject)
        created = scene.refer(subject=subject)
        assert scene.revoke(granted.get_json()["id"]).status_code == 200
    elif index < 10:  # green channel under its own consent
        assert scene.consent(subject=subject, purpose="green_channel_referral").status_code == 201
        created = scene.refer(priority="green_channel", subject=subject)
    else:  # green channel without consent, under break-glass (at most 3 a day)
        created = scene.refer(priority="green_channel", subject=subject,
                              emergency_justification=WHY)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


@pytest.fixture
def inbox_of_20(client, make_partner, token_for, link):
    """A hospital with 20 referrals of different subjects under different consents."""
    scene = make_scene(client, make_partner, token_for, link, university_scopes=EMERGENCY_SCOPES)
    ids = [_send(scene, index) for index in range(20)]
    return scene, ids


def _inbox(scene, limit: int) -> dict:
    page = scene.client.get("/api/v1/referrals", query_string={"box": "inbox", "limit": limit},
                            headers=bearer(scene.hosp_token))
    assert page.status_code == 200, page.get_json()
    return page.get_json()


def test_an_inbox_page_of_20_runs_as_many_statements_as_a_page_of_5(app, inbox_of_20):
    scene, ids = inbox_of_20
    _inbox(scene, 1)  # the token's client is looked up like on any request
    with counted(app) as five:
        small = _inbox(scene, 5)
    with counted(app) as twenty:
        large = _inbox(scene, 20)
    assert [item["id"] for item in large["items"]] == ids[::-1]
    assert [item["id"] for item in small["items"]] == ids[:-6:-1]
    assert five() == twenty()
    bases = {item["access"]["basis"] for item in large["items"]}
    assert bases == {"consent", "none", "breakglass"}
    minors = [item for item in large["items"] if item.get("risk_assessment")]
    assert len(minors) == 4 and all(m["access"]["basis"] == "consent" for m in minors)


def test_the_sent_box_is_decided_per_page_too(app, inbox_of_20):
    scene, _ids = inbox_of_20
    counts = []
    for limit in (5, 20):
        with counted(app) as statements:
            page = scene.client.get("/api/v1/referrals", query_string={"box": "sent",
                                                                       "limit": limit},
                                    headers=bearer(scene.uni_token))
        assert page.status_code == 200 and len(page.get_json()["items"]) == limit
        counts.append(statements())
    assert counts[0] == counts[1]


def test_a_bookings_page_decides_its_case_material_at_once(app, client, make_partner, token_for,
                                                           link):
    conference = make_conference(app, client, make_partner, token_for, link)
    for index in range(10):  # even: identified under a consent; odd: de-identified
        subject = f"stu-{index:03d}"
        if index % 2 == 0:
            assert conference.consent(subject=subject).status_code == 201
        conference.booked(subject)
    counts, identified = [], []
    for limit in (2, 10):
        with counted(app) as statements:
            page = client.get("/api/v1/bookings", query_string={"role": "host", "limit": limit},
                              headers=bearer(conference.scene.hosp_token))
        assert page.status_code == 200 and len(page.get_json()["items"]) == limit
        counts.append(statements())
        identified.append(sum(item["case"]["identified"] for item in page.get_json()["items"]))
    assert counts[0] == counts[1]
    assert identified == [1, 5]


@pytest.mark.parametrize("box", ["inbox", "sent"])
def test_a_page_decides_on_the_facts_joined_to_it_as_on_the_facts_statement(app, inbox_of_20,
                                                                            box):
    """The one statement of a page joins each referral to its consent facts: they decide every
    referral as the facts statement does (the path of a single read), in separate
    transactions, so that neither finds the other's facts remembered."""
    scene, _ids = inbox_of_20
    again = scene.refer(["identity", "risk_assessment", "summary"], subject="stu-002",
                        birth_date=MINOR)  # a minor with two consents, twice on the page
    assert again.status_code == 201, again.get_json()
    party = scene.hosp if box == "inbox" else scene.uni
    institution = uuid.UUID(str(party.institution_id))
    actor = Actor(party.client_id, institution, frozenset({"referrals:read"}))
    policy = Policy.from_config(app.config)
    statement = reads._plain_page(box, triage.Order.named("newest"), False)
    with transaction(app) as session:
        rows, joined = reads._page_rows(session, statement, {"institution": institution,
                                                             "rows": 30})
        on_joined = disclosure.views_with_decisions(session, actor, rows, policy,
                                                    joined=joined)
    with transaction(app) as session:
        on_statement = disclosure.views_with_decisions(session, actor, rows, policy)
    assert len(rows) == 21 and len(joined) > len(rows)  # rows repeat per consent
    assert on_joined == on_statement
    if box == "inbox":
        assert {view["access"]["basis"] for view, _ in on_joined} == {"consent", "none",
                                                                      "breakglass"}
        assert sum(decision.allowed for _, decision in on_joined) >= 10
