"""``make run``'s runner against a fresh instance: set-up, the whole network, a clean stop.

The runner always uses an SQLite file in its own instance folder (it is the demo), so this test
is the same on both test databases.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from joserfc.jwk import ECKey
from sqlalchemy import create_engine, select

from gateway import create_app
from gateway.db import transaction
from gateway.models import OutboxMessage, OutboxStatus
from gateway.services import outbox
from tests.live_support import _free_port
from tests.support import Partner, bearer

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 180  # a deadline for slow, shared machines; nothing asserts a speed
DELIVERED_WITHIN = 30  # seconds from the hospital's answer to the worker's recorded delivery


class Output:
    """The runner's output lines, read in a thread so that its pipe never fills."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line)
            self._new.put(line)

    def wait_for(self, pattern: str) -> re.Match:
        """The first line matching ``pattern``; fails the test if none comes in time."""
        deadline = time.monotonic() + WAIT_SECONDS
        for line in self.lines:
            if match := re.search(pattern, line):
                return match
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"no line matching {pattern!r}:\n{''.join(self.lines)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Output, str, Path]]:
    """``python -m gateway.demo.runner`` on free ports with a fresh instance in ``tmp_path``."""
    port, simulator_port = _free_port(), _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    env.update(GATEWAY_INSTANCE_PATH=str(tmp_path), GATEWAY_DELIVERY_POLL_INTERVAL="0.2")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.demo.runner", "--port", str(port),
         "--simulator-port", str(simulator_port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process, Output(process), f"http://127.0.0.1:{port}", tmp_path, simulator_port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_runner_serves_delivers_and_stops_all_children(runner) -> None:
    process, output, url, instance, _simulator_port = runner
    pids = {output.wait_for(rf"started {name} \(pid (\d+)\)").group(1)
            for name in ("api", "simulator", "deliver", "scheduler")}
    output.wait_for(r"^demo +\| ready: ")
    pids.add(output.wait_for(r"Booting worker with pid: (\d+)").group(1))  # gunicorn's own
    assert requests.get(url + "/healthz", timeout=5).json() == {"status": "ok"}

    # the demo's green-channel referral reaches the simulated hospital as a FHIR Bundle
    output.wait_for(r"^simulator +\| POST /hospital/fhir -> 200 ")
    # the worker records the delivery after the hospital's answer, in a transaction of its own
    engine = create_engine(f"sqlite:///{instance / 'gateway.sqlite3'}")
    deadline = time.monotonic() + DELIVERED_WITHIN
    try:
        while True:
            with engine.connect() as connection:
                delivered = connection.execute(select(OutboxMessage.topic).where(
                    OutboxMessage.status == OutboxStatus.DELIVERED)).scalars().all()
            if "referral.submitted" in delivered or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        engine.dispose()
    assert "referral.submitted" in delivered

    # the partner middle school sees the university's two training resources, with its demo key
    network = json.loads((instance / "demo" / "network.json").read_text())
    school = next(p for p in network["partners"] if p["kind"] == "middle_school")
    partner = Partner(school["client_id"], school["institution_id"],
                      ECKey.import_key(json.loads(Path(school["private_key_file"]).read_text())),
                      network["issuer"])
    token = requests.post(url + "/oauth/token", data=partner.token_form("resources:read"),
                          timeout=5).json()["access_token"]
    shared = requests.get(url + "/api/v1/resources", headers=bearer(token), timeout=5).json()
    assert sorted(item["language"] for item in shared["items"]) == ["en", "zh-CN"]

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=WAIT_SECONDS) == 0
    output.wait_for(r"^demo +\| stopped$")
    assert [pid for pid in pids if _alive(int(pid))] == []


def _backlog(instance: Path, count: int) -> None:
    """Give the delivery worker ``count`` webhooks to a demo school (the simulator accepts)."""
    network = json.loads((instance / "demo" / "network.json").read_text())
    school = next(p for p in network["partners"] if p["kind"] == "middle_school")
    app = create_app({"DATABASE_URL": f"sqlite:///{instance / 'gateway.sqlite3'}",
                      "KEY_DIR": str(instance / "keys"), "INSTANCE_PATH": str(instance),
                      "ISSUER": network["issuer"]})
    with transaction(app) as session:
        for index in range(count):
            outbox.enqueue(session, "resource.shared", {"backlog": index},
                           institution_id=uuid.UUID(school["institution_id"]))


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for a reaper that may never come)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# how long the children may take to end (issue 16): a child waiting on SQLite's write lock
# gives up after its busy timeout (30 s), gunicorn's workers get 5 s to finish a request
GONE_WITHIN = 40


def _all_gone(pids: set[str], ports: tuple[int, ...]) -> bool:
    """Every process ended and every port free, waited for up to ``GONE_WITHIN`` s."""
    deadline = time.monotonic() + GONE_WITHIN
    while time.monotonic() < deadline:
        if not any(_running(int(pid)) for pid in pids) and all(map(_port_free, ports)):
            return True
        time.sleep(0.2)
    return False


def _busy_runner(runner) -> tuple[subprocess.Popen, set[str], tuple[int, ...]]:
    process, output, url, instance, simulator_port = runner
    pids = {output.wait_for(rf"started {name} \(pid (\d+)\)").group(1)
            for name in ("api", "simulator", "deliver", "scheduler")}
    output.wait_for(r"^demo +\| ready: ")
    pids.add(output.wait_for(r"Booting worker with pid: (\d+)").group(1))
    _backlog(instance, 300)
    output.wait_for(r"^simulator +\| POST /school\S* -> 200 ")  # the worker is at it
    return process, pids, (int(url.rsplit(":", 1)[1]), simulator_port)


def test_sigterm_while_the_worker_is_busy_stops_everything(runner) -> None:
    """Issue 16, defect 9: the signal handler only wakes the main loop; no deadlock."""
    process, pids, ports = _busy_runner(runner)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert _all_gone(pids, ports)


def test_a_killed_runner_leaves_no_children(runner) -> None:
    """Issue 16, defect 9: children get SIGTERM from the kernel when the runner dies."""
    process, pids, ports = _busy_runner(runner)
    process.kill()
    process.wait()
    assert _all_gone(pids, ports)
