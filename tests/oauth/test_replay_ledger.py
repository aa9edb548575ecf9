"""The replay ledger's expired ids go with the scheduler's sweep, not on the token hot path."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.db import transaction
from gateway.models import UsedAssertion, UsedDpopProof, utcnow


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
