"""A create's parties query loads the consent facts too: the decision then runs no query, decides
as on facts it loads itself, and a change to a consent in the transaction forgets them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from gateway.db import engine_of, transaction
from gateway.keystore import EXTENSION_KEY
from gateway.models import DataCategory, Purpose
from gateway.services.actor import Actor
from gateway.services.privacy import consent, memo, subjects
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import parties
from tests.factories.privacy import born_years_ago

CATEGORIES = [DataCategory.IDENTITY, DataCategory.CLINICAL_NOTES]


def _question(app, scene):
    keys = app.extensions[EXTENSION_KEY]
    actor = Actor(scene.uni.client_id, scene.uni.institution_id, frozenset({"referrals:write"}))
    key = subjects.subject_key(keys.pseudonyms, scene.uni.institution_id, "stu-001")
    return actor, consent.SubjectRef(scene.uni.institution_id, key)


def _decide(app, session, actor, subject, recipient_id):
    """The decision, and the statements it ran."""
    statements: list[str] = []
    engine = engine_of(app)

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        decision = consent.authorise(session, actor, subject, Purpose.REFERRAL,
                                     recipient_id, CATEGORIES,
                                     policy=Policy.from_config(app.config))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return decision, statements


@pytest.mark.parametrize("consents", [
    [{}],  # one named consent
    [{"recipient_kinds": ["hospital"]}],  # by kind, within the pair's partnership
    [{"birth_date": born_years_ago(12)}, {"grantor": "guardian",
                                          "birth_date": born_years_ago(12)}],  # a minor
    [{"birth_date": born_years_ago(12)}],  # a minor without the guardian's consent
    [{"categories": ["identity"]}],  # not every category
])
def test_the_parties_facts_decide_as_the_decisions_own_load(app, scene, consents):
    for extra in consents:
        assert scene.consent(**extra).status_code == 201
    actor, subject = _question(app, scene)
    with transaction(app) as session:
        held = parties.load(session, scene.uni.institution_id, scene.hosp.institution_id,
                            subject.key)
        remembered, statements = _decide(app, session, actor, subject, scene.hosp.institution_id)
        assert statements == []
        memo.forget(session)
        loaded, statements = _decide(app, session, actor, subject, scene.hosp.institution_id)
        assert statements
        del held
    assert remembered == loaded


def test_a_consent_revoked_after_the_parties_query_is_no_longer_relied_on(app, scene):
    granted = scene.consent()
    assert granted.status_code == 201
    actor, subject = _question(app, scene)
    with transaction(app) as session:
        held = parties.load(session, scene.uni.institution_id, scene.hosp.institution_id,
                            subject.key)
        consent.revoke(session, actor, uuid.UUID(granted.get_json()["id"]), "student withdrew")
        decision, statements = _decide(app, session, actor, subject, scene.hosp.institution_id)
        del held
    assert statements
    assert not decision.allowed
