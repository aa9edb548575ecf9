"""A partner simulator: a hospital (FHIR) and a school (signed webhooks), real HTTP servers.

Each endpoint checks what it receives (FHIR Bundles with ``fhir.resources``, webhook signatures
with ``standardwebhooks`` when it knows the secret) and applies each idempotency key's effect
once: a repeated delivery is answered like the first and counted, but changes nothing.

    python -m adapters.simulator --port 8100 [--hospital-secret whsec_…] [--school-secret …]…

serves ``POST /hospital/fhir`` and ``POST /school/webhook``; tests start it in a thread.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

HOSPITAL_PATH = "/hospital/fhir"
SCHOOL_PATH = "/school/webhook"


@dataclass
class PartnerState:
    """What the simulated partners saw: every delivery, and each key's one effect."""

    deliveries: Counter = field(default_factory=Counter)  # key -> requests received
    effects: dict[str, dict] = field(default_factory=dict)  # key -> applied document
    tasks: dict[str, dict] = field(default_factory=dict)  # hospital's Tasks by id
    rejected: int = 0
    active: Counter = field(default_factory=Counter)  # key -> requests being handled now
    most_concurrent: Counter = field(default_factory=Counter)  # key -> peak of ``active``
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, path: str) -> list[str]:
        """Idempotency keys applied at ``path``, in order of effect."""
        return [key for key, doc in self.effects.items() if doc["path"] == path]


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and the demo read the state, not the log."""

    def _reply(self, status: int, document: dict) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """Receive one delivery."""
        sim = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key") or self.headers.get("webhook-id") or ""
        if self.path not in (HOSPITAL_PATH, SCHOOL_PATH) or not key:
            self._reply(404, {"error": "unknown endpoint or no idempotency key"})
            return
        state = sim.state
        with state.lock:
            state.deliveries[key] += 1
            state.active[key] += 1
            state.most_concurrent[key] = max(state.most_concurrent[key], state.active[key])
        try:
            if sim.delay:
                time.sleep(sim.delay)
            status, document = sim.receive(self.path, key, body, dict(self.headers))
        finally:
            with state.lock:
                state.active[key] -= 1
        self._reply(status, document)
        if sim.verbose:  # the demo's log: path, status and key only, never the document
            print(f"POST {self.path} -> {status} (key {key})", flush=True)


class SimulatorServer(ThreadingHTTPServer):
    """The HTTP server holding the partners' state."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0,
                 fail_first: int = 0, secrets: dict[str, str | list[str]] | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.state = PartnerState()
        self.delay = delay
        self.fail_first = fail_first
        self.secrets = dict(secrets or {})
        self.verbose = False
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def _verify(self, path: str, body: bytes, headers: dict) -> bool:
        """Check the signature against the path's secret(s); no secret, no check."""
        known = self.secrets.get(path)
        if known is None:
            return True
        for secret in [known] if isinstance(known, str) else known:
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
            except WebhookVerificationError:
                continue
            return True
        return False

    def receive(self, path: str, key: str, body: bytes, headers: dict) -> tuple[int, dict]:
        """Check and apply one delivery; a known key is answered without a second effect."""
        state = self.state
        with state.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return 503, {"error": "simulated outage"}
            if key in state.effects:
                return 200, {"status": "duplicate", "key": key}
        if not self._verify(path, body, {k.lower(): v for k, v in headers.items()}):
            with state.lock:
                state.rejected += 1
            return 401, {"error": "bad signature"}
        try:
            document = json.loads(body)
            if path == HOSPITAL_PATH:
                Bundle.model_validate(document)
        except (ValueError, ValidationError):
            with state.lock:
                state.rejected += 1
            return 400, {"error": "invalid document"}
        with state.lock:
            if key in state.effects:
                return 200, {"status": "duplicate", "key": key}
            state.effects[key] = {"path": path, "document": document}
            if path == HOSPITAL_PATH:
                for entry in document.get("entry", []):
                    resource = entry["resource"]
                    if resource["resourceType"] == "Task":
                        state.tasks[resource["id"]] = resource
        if path == HOSPITAL_PATH:
            return 200, {"resourceType": "Bundle", "type": "transaction-response"}
        return 200, {"status": "applied", "key": key}

    def start(self) -> SimulatorServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()


def main() -> None:
    """Run the simulator in the foreground (for ``make run``'s demo)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--hospital-secret", action="append", default=[])
    parser.add_argument("--school-secret", action="append", default=[])
    args = parser.parse_args()
    secrets = {path: known for path, known in ((HOSPITAL_PATH, args.hospital_secret),
                                               (SCHOOL_PATH, args.school_secret)) if known}
    server = SimulatorServer(args.host, args.port, secrets=secrets)
    server.verbose = True
    print(f"hospital: {server.base_url}{HOSPITAL_PATH}  school: {server.base_url}{SCHOOL_PATH}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
