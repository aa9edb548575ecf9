"""Twenty simultaneous bookings for the last seat, against a real gunicorn server.

On PostgreSQL the slot row lock and the unique seat number decide; on SQLite the serialised
(BEGIN IMMEDIATE) transaction does. Exactly one request wins; the others get 409 problem+json.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.circulation import BOOKING_SCOPES, book, new_supervisor, one_slot
from tests.live_support import _free_port
from tests.support import bearer

pytestmark = pytest.mark.live

CONTENDERS = 20


@pytest.fixture(scope="module")
def live_server(database_url: str, key_dir: Path) -> Iterator[str]:
    """gunicorn (several worker processes, several threads each) on the session database."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": base}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "5",
         "--graceful-timeout", "2", "--bind", f"127.0.0.1:{port}", "gateway:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_twenty_simultaneous_bookings_for_the_last_seat(client, make_partner, link, token_for,
                                                        live_server, row_count):
    university = make_partner("university", scopes=BOOKING_SCOPES)
    school = make_partner("middle_school", scopes=BOOKING_SCOPES)
    link(university, school, "supervision")
    host_token, school_token = token_for(university), token_for(school)
    slot = one_slot(client, host_token, new_supervisor(client, host_token)["id"],
                    kind="group", capacity=3)
    for taken in ("staff-a", "staff-b"):
        assert book(client, school_token, slot["id"], taken).status_code == 201

    remote = dataclasses.replace(school, issuer=live_server)
    token = requests.post(live_server + "/oauth/token", data=remote.token_form(),
                          timeout=10).json()["access_token"]
    barrier = threading.Barrier(CONTENDERS)
    answers: list[requests.Response] = []

    def contend(number: int) -> None:
        body = {"slot_id": slot["id"], "counsellor_ref": f"contender-{number}"}
        barrier.wait()
        answers.append(requests.post(live_server + "/api/v1/bookings", json=body,
                                     headers=bearer(token), timeout=60))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (CONTENDERS - 1)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.json()["status"] == 409
    assert row_count("bookings") == 3
    seats = client.get(f"/api/v1/slots/{slot['id']}", headers=bearer(host_token)).get_json()
    assert seats["seats_taken"] == 3
