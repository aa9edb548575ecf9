"""The bench's servers: gunicorn with the repository's ``gunicorn.conf.py``, as in production."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gunicorn as gunicorn_package
import requests

from bench.cpu import tree_seconds

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOOT_SECONDS = 180
SETTLED_CPU = 0.05  # CPU seconds per SETTLE_WINDOW below which the booted servers are idle
SETTLE_WINDOW = 0.5
# gunicorn 25.1+ opens a control socket in $HOME; parallel runs must not share one.
NO_CONTROL_SOCKET = (["--no-control-socket"] if gunicorn_package.version_info >= (25, 1)
                     else [])


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:  # the socket listens before the workers have booted
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy:\n{log.read_text()}")


def _wait_until_settled(process: subprocess.Popen) -> None:
    """Until the workers have loaded the app: the first healthy answer comes from one worker
    while the others may still be importing it, which would eat the first run's CPU."""
    deadline = time.monotonic() + BOOT_SECONDS
    used = tree_seconds(process.pid)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_WINDOW)
        now = tree_seconds(process.pid)
        if now - used < SETTLED_CPU:
            return
        used = now


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and its master's process id."""

    url: str
    pid: int


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, port: int | None = None
             ) -> Iterator[Server]:
    """``gunicorn -c gunicorn.conf.py APP`` on loopback, stopped after the block."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
             "-b", f"127.0.0.1:{port}", *NO_CONTROL_SOCKET, app],
            env={**os.environ, **env}, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, process, log)
        _wait_until_settled(process)
        yield Server(url, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
