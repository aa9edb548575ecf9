"""A real gunicorn serving the gateway on the session database, for tests over HTTP only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from socketserver import BaseServer

import gunicorn
import pytest
import requests

from tests.support import Partner

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 10
# gunicorn 25.1+ opens a control socket in $HOME; parallel test runs must not share one.
NO_CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []


@dataclass(frozen=True)
class Live:
    """A running gateway: its base URL and the environment that configures it."""

    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``flask --app gateway ARGS`` against the same database and keys."""
        return subprocess.run([str(BIN / "flask"), "--app", "gateway", *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def answering(server: BaseServer) -> Iterator[BaseServer]:
    """``server`` (bound to a loopback port) answering from a daemon thread until the block
    ends; then shut down and closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path,
                        within: float = 120) -> None:
    """Until ``/healthz`` answers 200 (two workers boot slowly on a loaded machine)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:  # the socket listens before the workers have booted: retry until one answers
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not become healthy:\n{log.read_text()}")


def gateway_env(database_url: str, key_dir: Path, issuer: str,
                **settings: object) -> dict[str, str]:
    """The environment of a gateway process on the session database and keys; ``settings``
    become ``GATEWAY_<KEY>`` variables."""
    return {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
            "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": issuer,
            **{f"GATEWAY_{key}": str(value) for key, value in settings.items()}}


def start(stack: ExitStack, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``args`` (output to ``log``), stopped with SIGTERM when ``stack`` closes."""
    with log.open("w") as output:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT)
    stack.callback(_stop, process)
    return process


def serve(stack: ExitStack, env: dict[str, str], port: int, log: Path) -> str:
    """gunicorn -w 2 serving the gateway on ``port`` until ``stack`` closes; its URL once
    healthy."""
    process = start(stack, [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                            *NO_CONTROL_SOCKET, "gateway:create_app()"], env, log)
    url = f"http://127.0.0.1:{port}"
    _wait_until_healthy(url, process, log, within=180)
    return url


@pytest.fixture(scope="module")
def live(app, database_url: str, key_dir: Path, tmp_path_factory) -> Iterator[Live]:
    """gunicorn -w 2 serving ``gateway:create_app()`` on a free port, stopped afterwards.

    It depends on ``app`` so that the tables are emptied after each test that uses it.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = gateway_env(database_url, key_dir, url)
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", *NO_CONTROL_SOCKET,
             "gateway:create_app()"],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, process, log)
        yield Live(url, env)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL if gunicorn has not stopped within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def token(live: Live, partner: Partner) -> str:
    """An access token for ``partner`` from the live gateway's token endpoint."""
    response = requests.post(live.url + "/oauth/token", data=partner.token_form(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
