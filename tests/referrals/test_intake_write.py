"""A create writes its referral's row with its queued rows (``row_queue.add_persistent``), not
through the unit of work: the row stored is the object the request goes on reading, which
stays in the session as if loaded."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import event, inspect, select

from gateway.db import engine_of, transaction
from gateway.keystore import EXTENSION_KEY
from gateway.models import Priority, Referral, ReferralReason, ReferralStatus, utcnow
from gateway.services import row_queue
from gateway.services.actor import Actor
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import intake
from tests.factories.privacy import ADULT, NAME

COLUMNS = [column.key for column in Referral.__table__.columns]


def _create(app, scene, session, **extra) -> Referral:
    actor = Actor(scene.uni.client_id, scene.uni.institution_id, frozenset({"referrals:write"}))
    request = intake.NewReferral(
        recipient_id=scene.hosp.institution_id, subject_ref="stu-001",
        priority=Priority.ROUTINE, reason=ReferralReason.SUICIDE_RISK, summary="Withdrawn.",
        personal={"identity": {"name": NAME, "date_of_birth": date.fromisoformat(ADULT)}}, **extra)
    return intake.create(session, actor, app.extensions[EXTENSION_KEY].pseudonyms, request,
                         policy=Policy.from_config(app.config)).referral


def _stored(app, referral_id) -> dict:
    with transaction(app) as session:
        row = session.execute(select(Referral.__table__).where(
            Referral.__table__.c.id == referral_id)).one()
    return dict(row._mapping)


@pytest.mark.parametrize("draft", [False, True])
def test_the_stored_row_is_the_object_the_request_reads(app, scene, draft):
    assert scene.consent().status_code == 201
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with transaction(app) as session:
        referral = _create(app, scene, session, draft=draft)
        assert inspect(referral).persistent and not session.new and not session.dirty
        event.listen(engine_of(app), "before_cursor_execute", count)
        try:  # found in the identity map, every attribute loaded
            assert session.get(Referral, referral.id) is referral
            held = {name: getattr(referral, name) for name in COLUMNS}
        finally:
            event.remove(engine_of(app), "before_cursor_execute", count)
    assert statements == []
    assert _stored(app, referral.id) == held
    assert held["status"] is (ReferralStatus.DRAFT if draft else ReferralStatus.SUBMITTED)
    assert held["created_at"] <= utcnow() and held["version"] == 1
    if draft:
        assert held["updated_at"] == held["created_at"]


def test_a_column_with_a_default_must_be_set(app):
    with transaction(app) as session:
        referral = Referral(id=uuid.uuid4())
        session.add(referral)
        with pytest.raises(ValueError, match="data_categories"):
            row_queue.add_persistent(session, referral)
        session.expunge(referral)
