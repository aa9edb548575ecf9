"""Concurrent retries with one Idempotency-Key create exactly one referral, over real HTTP."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import text

from gateway.db import engine_of
from tests.factories.referrals import referral_body
from tests.support import bearer

CONTENDERS = 8


def test_racing_retries_with_one_key_leave_one_referral_and_no_orphans(
        app, live_server, pair, grant_consent, row_count):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    body = referral_body(pair.hospital.institution_id)
    headers = {**bearer(pair.uni_token), "Idempotency-Key": "race-2b9c"}
    barrier = threading.Barrier(CONTENDERS)
    responses: list[requests.Response] = []

    def send() -> None:
        barrier.wait()
        responses.append(requests.post(live_server + "/api/v1/referrals", json=body,
                                       headers=headers, timeout=30))

    threads = [threading.Thread(target=send) for _ in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201] * CONTENDERS
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CONTENDERS - 1
    assert row_count("referrals") == 1
    assert row_count("idempotency_records") == 1
    with engine_of(app).connect() as connection:
        created = connection.execute(text(
            "SELECT count(*) FROM audit_entries WHERE action = 'referral.created'")).scalar_one()
    assert created == 1
