"""The outbox service: enqueue in the caller's transaction, dead letters and replay."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from gateway.db import engine_of, transaction
from gateway.models import OutboxMessage, OutboxStatus
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.errors import InvalidTransition
from tests.support import TESTER


def test_enqueue_encrypts_payload_and_replay_requeues_dead_letter(app, make_partner, row_count):
    hospital = make_partner("hospital")
    with transaction(app) as session:
        message = outbox.enqueue(session, "referral.submitted", {"note": "机密 text"},
                                 institution_id=hospital.institution_id)
        message_id = message.id
    with engine_of(app).connect() as connection:
        raw = connection.execute(text("SELECT payload FROM outbox")).scalar_one()
    assert "机密" not in raw and raw.startswith("gw1.")
    with transaction(app) as session:
        stored = session.get(OutboxMessage, message_id)
        assert json.loads(stored.payload) == {"note": "机密 text"}
        with pytest.raises(InvalidTransition):
            outbox.replay(session, TESTER, message_id)
        stored.status = OutboxStatus.DEAD
        stored.attempts = 7
    with transaction(app) as session:
        assert [m.id for m in outbox.dead_letters(session, region="r1")] == [message_id]
        assert outbox.dead_letters(session, region="elsewhere") == []
        replayed = outbox.replay(session, Actor.system("coordinator"), message_id)
        assert (replayed.status, replayed.attempts) == (OutboxStatus.PENDING, 0)
    assert row_count("outbox") == 1


def test_enqueue_needs_exactly_one_addressee(app):
    with transaction(app) as session, pytest.raises(ValueError):
        outbox.enqueue(session, "x", {}, institution_id=None, region=None)
