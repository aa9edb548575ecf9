"""The replay ledger: an id is spent once, also by concurrent transactions; expired ids go with
the scheduler's sweep, not on the token hot path."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from gateway.db import transaction
from gateway.models import UsedAssertion, UsedDpopProof, utcnow
from gateway.services.network import clients


def test_an_id_spent_by_an_open_transaction_is_refused_to_a_concurrent_one(app, make_partner):
    university = make_partner("university")
    expires = utcnow() + timedelta(minutes=1)
    second: list[bool] = []

    def spend_again() -> None:  # waits for the first transaction (its row lock or write lock)
        with transaction(app) as session:
            second.append(clients.spend_assertion(session, university.client_id, "same-jti-1",
                                                  expires))

    with transaction(app) as session:
        assert clients.spend_assertion(session, university.client_id, "same-jti-1", expires)
        concurrent = threading.Thread(target=spend_again)
        concurrent.start()
        concurrent.join(timeout=0.5)  # still waiting: the first has not committed yet
    concurrent.join(timeout=30)
    assert second == [False]
    with transaction(app) as session:
        assert not clients.spend_assertion(session, university.client_id, "same-jti-1", expires)
        assert clients.spend_assertion(session, university.client_id, "other-jti-1", expires)
        assert clients.spend_dpop_proof(session, university.client_id, "same-jti-1", expires)
        assert not clients.spend_dpop_proof(session, university.client_id, "same-jti-1",
                                            expires)


def test_the_scheduler_clears_expired_spent_ids_and_keeps_live_ones(app, client, make_partner):
    university = make_partner("university")
    assert client.post("/oauth/token", data=university.token_form()).status_code == 200
    with transaction(app) as session:
        live = set(session.scalars(select(UsedAssertion.jti)))
        past = utcnow() - timedelta(seconds=1)
        session.add_all([
            UsedAssertion(client_id=university.client_id, jti="expired-assertion",
                          expires_at=past),
            UsedDpopProof(client_id=university.client_id, jti="expired-proof", expires_at=past)])
    assert client.post("/oauth/token", data=university.token_form()).status_code == 200
    with transaction(app) as session:  # spending no longer clears: the sweep does
        assert "expired-assertion" in set(session.scalars(select(UsedAssertion.jti)))
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    with transaction(app) as session:
        left = set(session.scalars(select(UsedAssertion.jti)))
        proofs = set(session.scalars(select(UsedDpopProof.jti)))
    assert live < left and "expired-assertion" not in left and len(left) == len(live) + 1
    assert "expired-proof" not in proofs
