"""The delivery worker against the partner simulator over real HTTP: formats, signatures,
retries with backoff, dead letters and replay, leases, a crash, and concurrent workers."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from adapters.simulator import HOSPITAL_PATH, SCHOOL_PATH
from gateway.db import transaction
from gateway.delivery.worker import Settings, Worker
from gateway.models import AuditEntry, OutboxMessage, OutboxStatus, utcnow
from gateway.services import outbox
from gateway.services.actor import Actor
from tests.conftest import TEST_ISSUER
from tests.network_support import (
    HOSPITAL_SCOPES,
    SCHOOL_SCOPES,
    consent_body,
    referral_body,
    set_endpoint,
)
from tests.support import bearer


@pytest.fixture
def partners(app, make_partner, simulator):
    """A school (webhook) and a hospital (FHIR) whose endpoints are the simulator's."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    simulator.secrets[HOSPITAL_PATH] = set_endpoint(
        app, "fhir_r4", simulator.base_url + HOSPITAL_PATH, institution_id=hospital.institution_id)
    simulator.secrets[SCHOOL_PATH] = set_endpoint(
        app, "webhook", simulator.base_url + SCHOOL_PATH, institution_id=school.institution_id)
    return school, hospital


def _enqueue(app, count: int, school, hospital) -> list[str]:
    """``count`` messages, alternately for the hospital and the school; their keys."""
    keys = []
    with transaction(app) as session:
        for index in range(count):
            to = hospital if index % 2 == 0 else school
            payload = {"event": "referral.received",
                       "referral": {"id": str(uuid.uuid4()), "status": "received"}}
            keys.append(outbox.enqueue(session, "referral.received", payload,
                                       institution_id=to.institution_id).idempotency_key)
    return keys


def _statuses(app) -> dict[str, OutboxStatus]:
    with transaction(app) as session:
        return {m.idempotency_key: m.status for m in session.scalars(select(OutboxMessage))}


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.05)


def test_referral_goes_out_as_fhir_and_status_comes_back_as_signed_webhook(
        app, client, partners, simulator, token_for, link):
    school, hospital = partners
    link(school, hospital, "referral")
    school_token, hospital_token = bearer(token_for(school)), bearer(token_for(hospital))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id),
                headers=school_token)
    rid = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id),
                      headers=school_token).get_json()["id"]
    client.post(f"/api/v1/referrals/{rid}/transitions", json={"status": "received"},
                headers=hospital_token)

    worker = Worker(app)
    assert worker.run_once() == 2
    state = simulator.state
    assert state.rejected == 0
    (hospital_key,) = state.keys(HOSPITAL_PATH)
    (school_key,) = state.keys(SCHOOL_PATH)
    bundle = state.effects[hospital_key]["document"]
    assert bundle["resourceType"] == "Bundle"
    assert state.tasks[rid]["status"] == "requested"
    webhook = state.effects[school_key]["document"]
    assert (webhook["type"], webhook["data"]["referral"]["status"]) == (
        "referral.received", "received")
    assert set(_statuses(app).values()) == {OutboxStatus.DELIVERED}


def test_readme_verification_snippet_accepts_ours_and_rejects_forgeries(app, partners):
    school, _hospital = partners
    secret = set_endpoint(app, "webhook", "http://127.0.0.1:9/hook",
                          institution_id=school.institution_id)
    from adapters import Endpoint, Outbound, webhook

    request = webhook.render(Outbound("referral.accepted", "msg_1", {"x": 1}, utcnow()),
                             Endpoint("http://127.0.0.1:9/hook", secret), utcnow())
    # the README's snippet
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "referral.accepted"
    assert request.headers["webhook-id"] == "msg_1"
    forged = {**request.headers, "webhook-signature": "v1,AAAA"}
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(secret).verify(request.body, forged)


def test_failures_back_off_then_dead_letter_and_a_replay_delivers_once(
        app, partners, simulator):
    school, hospital = partners
    (key,) = _enqueue(app, 1, school, hospital)
    simulator.fail_first = 99
    now = utcnow()
    worker = Worker(app, clock=lambda: now)
    assert worker.run_once() == 1
    with transaction(app) as session:
        message = session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts, message.last_error) == (
            OutboxStatus.PENDING, 1, "HTTP 503")
        assert message.next_attempt_at > now
    assert worker.run_once() == 0  # not due yet
    for _ in range(2):
        now += timedelta(seconds=1)
        assert worker.run_once() == 1
    with transaction(app) as session:
        dead = outbox.dead_letters(session, region="r1")
        assert [(m.idempotency_key, m.attempts) for m in dead] == [(key, 3)]
        assert session.scalar(select(func.count()).where(
            AuditEntry.action == "outbox.dead_lettered")) == 1
        outbox.replay(session, Actor.system("coordinator"), dead[0].id)
    simulator.fail_first = 0
    assert worker.run_once() == 1
    assert _statuses(app) == {key: OutboxStatus.DELIVERED}
    assert simulator.state.deliveries[key] == 4
    assert list(simulator.state.effects) == [key]


def test_unrenderable_message_is_parked_and_the_batch_goes_on(app, partners, simulator):
    school, hospital = partners
    with transaction(app) as session:
        outbox.enqueue(session, "referral.submitted", {"no": "referral"},
                       institution_id=hospital.institution_id)
    (good,) = _enqueue(app, 1, school, hospital)
    assert Worker(app).run_once() == 2
    statuses = sorted(_statuses(app).items(), key=lambda item: item[0] == good)
    assert [status for _, status in statuses] == [OutboxStatus.DEAD, OutboxStatus.DELIVERED]
    with transaction(app) as session:
        (dead,) = outbox.dead_letters(session)
        assert dead.last_error == "render failed: KeyError"
    assert list(simulator.state.effects) == [good]


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    settings = Settings(batch=1, timeout=1, lease=3, max_attempts=9, backoff_base=2,
                        backoff_cap=60)
    for attempts, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (9, 60)):
        delays = {settings.backoff(attempts).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


def test_claims_of_two_workers_never_overlap_and_no_endpoint_is_skipped(
        app, partners, make_partner):
    school, hospital = partners
    keys = _enqueue(app, 6, school, hospital)
    first, second = Worker(app, name="first"), Worker(app, name="second")
    first.settings = dataclasses.replace(first.settings, batch=4)
    claimed_first, claimed_second = first.claim(), second.claim()
    assert len(claimed_first) == 4 and len(claimed_second) == 2
    assert not set(claimed_first) & set(claimed_second)
    assert second.deliver(claimed_first[0]).error == "lease lost"

    silent = make_partner("counselling_agency")
    with transaction(app) as session:
        outbox.enqueue(session, "referral.submitted", {}, institution_id=silent.institution_id)
    Worker(app, clock=lambda: utcnow() + timedelta(seconds=10)).run_once()
    statuses = _statuses(app)
    assert sorted(statuses.values()).count(OutboxStatus.SKIPPED) == 1
    assert all(statuses[key] is OutboxStatus.DELIVERED for key in keys)


def _spawn_worker(database_url: str, key_dir, log, **settings: object) -> subprocess.Popen:
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": TEST_ISSUER,
           **{f"GATEWAY_DELIVERY_{name.upper()}": str(value) for name, value in settings.items()}}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "gateway", "deliver"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def test_killed_worker_loses_nothing_and_each_effect_happens_once(
        app, partners, simulator, database_url, key_dir, tmp_path):
    school, hospital = partners
    keys = _enqueue(app, 12, school, hospital)
    simulator.delay = 0.1
    settings = {"batch": 4, "timeout": 0.5, "lease_seconds": 1.5, "poll_interval": 0.1}
    state = simulator.state
    with open(tmp_path / "worker.log", "wb") as log:
        doomed = _spawn_worker(database_url, key_dir, log, **settings)
        _wait_for(lambda: len(state.effects) >= 3 and sum(state.active.values()) > 0)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        delivered_before = list(_statuses(app).values()).count(OutboxStatus.DELIVERED)
        assert delivered_before < len(keys)

        survivor = _spawn_worker(database_url, key_dir, log, **settings)
        try:
            _wait_for(lambda: set(_statuses(app).values()) == {OutboxStatus.DELIVERED})
        finally:
            survivor.send_signal(signal.SIGTERM)
            survivor.wait(timeout=30)
    assert set(state.effects) == set(keys)
    assert all(state.deliveries[key] >= 1 for key in keys)
    assert state.rejected == 0


def test_two_workers_on_postgresql_never_deliver_the_same_row_concurrently(
        app, partners, simulator, database_url, key_dir, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite serialises writers with one lock")
    school, hospital = partners
    keys = _enqueue(app, 30, school, hospital)
    simulator.delay = 0.05
    settings = {"batch": 3, "timeout": 1, "lease_seconds": 5, "poll_interval": 0.1}
    with open(tmp_path / "workers.log", "wb") as log:
        workers = [_spawn_worker(database_url, key_dir, log, **settings) for _ in range(2)]
        try:
            _wait_for(lambda: set(_statuses(app).values()) == {OutboxStatus.DELIVERED})
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
    state = simulator.state
    assert set(state.effects) == set(keys)
    assert all(state.deliveries[key] == 1 for key in keys)
    assert all(state.most_concurrent[key] == 1 for key in keys)
