"""Property: what the consent engine releases is always covered by a valid, unrevoked consent of
every grantor the student's age requires (or by an open, not-disallowed break-glass release);
and the facts joined to a page's rows decide as the facts statement does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select, union_all

from gateway.db import EXTENSION_KEY as DB_KEY
from gateway.models import (
    BreakGlassRelease,
    Consent,
    DataCategory,
    Grantor,
    Purpose,
    ReviewOutcome,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.privacy import consent, memo, subjects
from gateway.services.privacy.policy import Policy, age_on

KEY = "psn_subject"
PURPOSES = [Purpose.REFERRAL, Purpose.GREEN_CHANNEL_REFERRAL, Purpose.FOLLOW_UP]
RECIPIENTS = ["hospital", "other", "abroad"]
POLICY = Policy()


@dataclass(frozen=True)
class Network:
    """Holder university; a partner hospital; a hospital linked for supervision; one abroad."""

    university: object
    hospital: object
    other: object
    abroad: object

    def id_of(self, name: str):
        return getattr(self, name).institution_id


@pytest.fixture
def network(make_partner, link) -> Network:
    university, hospital = make_partner("university"), make_partner("hospital")
    other, abroad = make_partner("hospital"), make_partner("hospital", country="GB")
    link(university, hospital, "referral")
    link(university, other, "supervision")
    link(university, abroad, "referral")
    return Network(university, hospital, other, abroad)


categories = st.frozensets(st.sampled_from(list(DataCategory)))
consents = st.lists(st.fixed_dictionaries({
    "grantor": st.sampled_from(list(Grantor)),
    "purpose": st.sampled_from(PURPOSES),
    "recipient": st.sampled_from(["hospital", "other", "abroad", "kind:hospital",
                                  "kind:counselling_agency"]),
    "categories": categories.filter(bool),
    "state": st.sampled_from(["valid", "valid", "expired", "future", "revoked"]),
}), max_size=5)
requests = st.fixed_dictionaries({
    "purpose": st.sampled_from(PURPOSES),
    "recipient": st.sampled_from(RECIPIENTS),
    "categories": categories,
    "actor": st.sampled_from(["holder", "recipient", "stranger"]),
    "release": st.sampled_from([None, "open", "expired", "unjustified", "justified",
                                "elsewhere"]),
    "age": st.sampled_from([None, 10, 13, 14, 15, 17, 18, 30]),
})


def _in_force(spec: dict, now) -> tuple:
    return {"valid": (now - timedelta(days=1), now + timedelta(days=1), None),
            "expired": (now - timedelta(days=3), now - timedelta(days=1), None),
            "future": (now + timedelta(days=1), now + timedelta(days=3), None),
            "revoked": (now - timedelta(days=1), now + timedelta(days=1), now)}[spec["state"]]


def _covers(spec: dict, request: dict) -> bool:
    """The oracle: does this consent name the request's purpose and recipient, in force?"""
    if spec["state"] != "valid" or spec["purpose"] is not request["purpose"]:
        return False
    if spec["recipient"].startswith("kind:"):  # only the referral partner qualifies by kind
        return spec["recipient"] == "kind:hospital" and request["recipient"] in ("hospital",
                                                                               "abroad")
    return spec["recipient"] == request["recipient"]


def _elsewhere(recipient: str) -> str:
    """Another recipient than ``recipient``: a release to it does not cover the request."""
    return "hospital" if recipient == "other" else "other"


def _setup(session, net: Network, specs: list[dict], request: dict):
    now = utcnow()
    holder = net.id_of("university")
    if request["age"] is not None:
        born = now.date().replace(year=now.year - request["age"]) - timedelta(days=2)
        assert age_on(born, now.date()) == request["age"]
        subjects.record_birth_date(session, holder, KEY, born)
    for spec in specs:
        start, until, revoked = _in_force(spec, now)
        kind = spec["recipient"].startswith("kind:")
        session.add(Consent(
            institution_id=holder, subject_key=KEY, grantor=spec["grantor"],
            purpose=spec["purpose"],
            recipient_id=None if kind else net.id_of(spec["recipient"]),
            recipient_kinds=[spec["recipient"][5:]] if kind else None,
            data_categories=sorted(c.value for c in spec["categories"]),
            valid_from=start, valid_until=until, revoked_at=revoked, created_by="prop"))
    release_id = None
    if request["release"]:
        state = request["release"]
        release = BreakGlassRelease(
            institution_id=holder, region="r1", subject_key=KEY, justification="x" * 20,
            recipient_id=net.id_of(_elsewhere(request["recipient"]) if state == "elsewhere"
                                   else request["recipient"]),
            created_by="prop", expires_at=now + timedelta(hours=-1 if state == "expired" else 4),
            review_due_at=now + timedelta(hours=72),
            outcome={"unjustified": ReviewOutcome.UNJUSTIFIED,
                     "justified": ReviewOutcome.JUSTIFIED}.get(state))
        session.add(release)
        session.flush()
        release_id = release.id
    session.flush()
    return release_id


@pytest.mark.slow
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=consents, request=requests)
def test_released_data_is_always_covered(app, network, specs, request):
    recipient = network.id_of(request["recipient"])
    actor_id = {"holder": network.id_of("university"), "recipient": recipient,
                "stranger": network.id_of("other")}[request["actor"]]
    if request["actor"] == "stranger" and request["recipient"] == "other":
        actor_id = network.id_of("abroad")
    actor = Actor("prop", actor_id, frozenset())
    with app.extensions[DB_KEY]() as session, session.begin():
        release_id = _setup(session, network, specs, request)
        decision = consent.authorise(
            session, actor, consent.SubjectRef(network.id_of("university"), KEY),
            request["purpose"], recipient, request["categories"], breakglass_id=release_id,
            policy=POLICY)
        session.rollback()

    released = decision.categories
    assert released <= request["categories"]
    if decision.allowed:
        assert released == request["categories"]
    if not released and not decision.allowed:
        return
    assert request["actor"] != "stranger" and request["recipient"] != "abroad"
    if decision.breakglass_id is not None:
        assert request["purpose"] is Purpose.GREEN_CHANNEL_REFERRAL
        assert request["release"] in ("open", "justified")
        return
    required = POLICY.default_age_rule.required_grantors(request["age"])
    for grantor in required:
        covering = [s for s in specs if s["grantor"] is grantor and _covers(s, request)]
        assert covering, grantor
        named = set().union(*(s["categories"] for s in covering))
        assert released <= named, (grantor, released, named)


def _page_of(session, questions: list[consent.Question]) -> list:
    """Rows of a page of these questions (literal rows standing for referrals), each with the
    facts of deciding it joined (:func:`consent.with_facts`), as a page would order them."""
    id_type = Consent.institution_id.type
    page = union_all(*(
        select(literal(n).label("n"), literal(q.subject.holder_id, id_type).label("holder"),
               literal(q.subject.key).label("key"),
               literal(q.recipient_id, id_type).label("recipient"))
        for n, q in enumerate(questions))).subquery("page")
    return session.execute(consent.with_facts(select(page), page.c.holder, page.c.key,
                                              page.c.recipient)
                           .order_by(page.c.n, *consent.CONSENT_ORDER)).all()


@pytest.mark.slow
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=consents, request=requests)
def test_facts_joined_to_a_page_decide_as_the_facts_statement(app, network, specs, request):
    holder = network.id_of("university")
    actor = Actor("prop", holder if request["actor"] == "holder"
                  else network.id_of(request["recipient"]), frozenset())
    with app.extensions[DB_KEY]() as session, session.begin():
        release_id = _setup(session, network, specs, request)
        asked = consent.Question(consent.SubjectRef(holder, KEY), request["purpose"],
                                 network.id_of(request["recipient"]),
                                 frozenset(request["categories"]), release_id)
        unknown = consent.Question(consent.SubjectRef(holder, "psn_nobody"), request["purpose"],
                                   asked.recipient_id, frozenset(request["categories"]))
        questions = [asked, unknown, asked]  # a student twice on the page, one never seen
        joined = _page_of(session, questions)
        # the same facts (but the moment each was loaded), so the same answer to any question
        facts = [replace(consent._load(session, questions, rows), now=None)
                 for rows in (joined, None)]
        on_joined = consent.authorise_many(session, actor, questions, policy=POLICY,
                                           joined=joined)
        memo.forget(session)
        on_statement = consent.authorise_many(session, actor, questions, policy=POLICY)
        session.rollback()
    assert facts[0] == facts[1]
    assert on_joined == on_statement


def test_a_question_whose_facts_were_not_joined_is_not_decided(app, network):
    holder, hospital = network.id_of("university"), network.id_of("hospital")
    asked = consent.Question(consent.SubjectRef(holder, KEY), Purpose.REFERRAL, hospital,
                             frozenset({DataCategory.IDENTITY}))
    other = consent.Question(consent.SubjectRef(holder, "psn_other"), Purpose.REFERRAL,
                             hospital, frozenset({DataCategory.IDENTITY}))
    with app.extensions[DB_KEY]() as session, session.begin(), \
            pytest.raises(ValueError, match="not among the joined rows"):
        consent.authorise_many(session, Actor("prop", holder, frozenset()), [asked],
                               policy=POLICY, joined=_page_of(session, [other]))
