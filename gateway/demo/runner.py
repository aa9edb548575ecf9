"""``make run``: set up the demo instance, then run the whole network in the foreground.

    python -m gateway.demo.runner [--host 127.0.0.1] [--port 8000] [--simulator-port 8100]

First the idempotent set-up steps (key material, migrations, the demo network; the partner
simulator's address is fixed when the network is first loaded). Then four processes, each line of
their output prefixed with their name: the API (gunicorn), the partner simulator, the delivery
worker and the SLA scheduler. Ctrl-C or SIGTERM stops them all; if one of them exits, the others
are stopped and the runner exits with status 1. The signal handler does nothing but wake the main
loop (``signal.set_wakeup_fd``): no lock is ever taken inside it, so a signal arriving while the
main thread holds one cannot deadlock the stop. Each child asks the kernel for SIGTERM when the
runner dies (``PR_SET_PDEATHSIG``), so even a runner killed with SIGKILL leaves none behind.
The instance is ``$GATEWAY_INSTANCE_PATH``
(default ``./instance``); nothing the processes log holds personal data (the access log omits
query strings, the simulator prints paths, statuses and message ids).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import gunicorn
import requests

PYTHON = sys.executable
FLASK = [PYTHON, "-m", "flask", "--app", "gateway"]
STOP_SECONDS = 15
# gunicorn 25.1+ opens a control socket in $HOME; two runs (or a test run) must not share one.
NO_CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []
_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    """Print one line of ``name``'s output, prefixed."""
    with _print_lock:
        print(f"{name:<9} | {line.rstrip()}", flush=True)


def set_up(env: dict[str, str]) -> dict:
    """Create keys, migrate and load the demo network (each step idempotent); network.json."""
    instance = Path(env["GATEWAY_INSTANCE_PATH"])
    steps = {"keys": [PYTHON, "-m", "keys", "init", env.get("GATEWAY_KEY_DIR",
                                                            str(instance / "keys"))],
             "migrate": [*FLASK, "db", "upgrade"],
             "demo": [*FLASK, "demo", "load"]}
    for name, command in steps.items():
        # output captured, not echoed: ``demo load`` prints the demo's secrets once
        done = subprocess.run(command, env=env,  # noqa: S603 - our own fixed commands
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            for line in (done.stdout + done.stderr).splitlines():
                say(name, line)
            raise SystemExit(f"set-up step '{name}' failed with status {done.returncode}")
        say("setup", f"{name}: ok")
    return json.loads((instance / "demo" / "network.json").read_text())


def commands(host: str, port: int, network: dict) -> dict[str, list[str]]:
    """The four long-running processes of the demo, by name."""
    simulator = urlsplit(network["delivery"]["simulator"])
    secrets = [*(arg for s in network["delivery"]["hospital_secrets"]
                 for arg in ("--hospital-secret", s)),
               *(arg for s in network["delivery"]["school_secrets"]
                 for arg in ("--school-secret", s))]
    return {
        "api": [PYTHON, "-m", "gunicorn", "--workers", "2", "--bind", f"{host}:{port}",
                "--graceful-timeout", "5", *NO_CONTROL_SOCKET, "--access-logfile", "-",
                "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s',
                "gateway:create_app()"],
        "simulator": [PYTHON, "-m", "adapters.simulator", "--host", simulator.hostname or host,
                      "--port", str(simulator.port), *secrets],
        "deliver": [*FLASK, "deliver"],
        "scheduler": [*FLASK, "scheduler"],
    }


def _pump(name: str, process: subprocess.Popen) -> None:
    for line in process.stdout:
        say(name, line)


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:  # not listening yet, or no worker booted yet
        return False


def _announce_when_ready(url: str, instance: Path, stop: threading.Event) -> None:
    while not stop.wait(0.3):
        if _healthy(url):
            say("demo", f"ready: {url}  admin UI: {url}/admin/  (sign-in, client ids and keys: "
                        f"{instance / 'demo' / 'network.json'})  Ctrl-C stops everything")
            return


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every process group still running, then SIGKILL what outlives the grace time."""
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for name, process in processes.items():
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            say("demo", f"{name} did not stop; killing it")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner dies (Linux; elsewhere a no-op)."""
    prctl = getattr(_libc, "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _signal_wakeup() -> tuple[socket.socket, socket.socket]:
    """Sockets whose reader becomes readable when SIGINT or SIGTERM arrives; the handlers do
    nothing else (Python writes the signal number to the writer in C, outside any lock)."""
    reader, writer = socket.socketpair()
    for end in (reader, writer):
        end.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    return reader, writer


def supervise(cmds: dict[str, list[str]], env: dict[str, str], url: str, instance: Path) -> int:
    """Run ``cmds`` until a signal (status 0) or until one of them exits (status 1)."""
    stop = threading.Event()
    wakeup, _writer = _signal_wakeup()  # the writer must live as long as the reader
    processes: dict[str, subprocess.Popen] = {}
    pumps = []
    for name, command in cmds.items():
        # a session of its own: only the runner signals it, and the whole group (gunicorn's
        # workers too) is stopped together
        process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", start_new_session=True, preexec_fn=_die_with_parent)
        processes[name] = process
        say("demo", f"started {name} (pid {process.pid})")
        pumps.append(threading.Thread(target=_pump, args=(name, process), daemon=True))
        pumps[-1].start()
    threading.Thread(target=_announce_when_ready, args=(url, instance, stop), daemon=True).start()
    status = 0
    while not select.select([wakeup], [], [], 0.2)[0]:
        exited = [(name, p.returncode) for name, p in processes.items() if p.poll() is not None]
        if exited:
            say("demo", f"{exited[0][0]} exited with status {exited[0][1]}; stopping the others")
            status = 1
            break
    stop.set()
    say("demo", "stopping")
    _stop(processes)
    for pump in pumps:
        pump.join(timeout=2)
    say("demo", "stopped")
    return status


def main() -> None:
    """Set up, then supervise the demo's processes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--simulator-port", type=int, default=8100,
                        help="used when the demo network is first loaded")
    args = parser.parse_args()
    instance = Path(os.environ.get("GATEWAY_INSTANCE_PATH", "instance")).resolve()
    url = f"http://{args.host}:{args.port}"
    env = {**os.environ, "GATEWAY_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
    env.setdefault("GATEWAY_ISSUER", url)
    # the demo is a development set-up: its commands exist only on a demo app (GATEWAY_DEMO),
    # and it runs in debug, which the production start-up checks allow (gateway/production.py)
    env.update(GATEWAY_DEMO="true", GATEWAY_DEBUG="true")
    env.setdefault("GATEWAY_DEMO_SIMULATOR_URL", f"http://{args.host}:{args.simulator_port}")
    env.setdefault("GATEWAY_OUTBOUND_ALLOW_INSECURE_LOOPBACK", "true")  # the simulator is local
    network = set_up(env)
    sys.exit(supervise(commands(args.host, args.port, network), env, url, instance))


if __name__ == "__main__":
    main()
