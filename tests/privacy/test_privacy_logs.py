"""No personal data or secret in logs, dead-letter reasons or audit details when things fail:
a partner that echoes our payload back, a partner that cannot be reached, and a database error
whose message carries the statement's bound values."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from adapters import fhir
from gateway.db import transaction
from gateway.delivery.worker import Worker
from gateway.models import AuditEntry, Coordinator, OutboxMessage, OutboxStatus
from gateway.services import outbox
from tests.live_support import NO_CONTROL_SOCKET, answering
from tests.network_support import set_endpoint

ROOT = Path(__file__).resolve().parents[2]
MARKER = "Zhang-Xiaoming-13812345678-MARKER"


class _Echo(BaseHTTPRequestHandler):
    """A partner that refuses every POST and repeats what it was sent, even in its reason."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.server.status, body.decode()[:200])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the gateway's logs, not this server's."""


@pytest.fixture
def echo() -> Iterator[ThreadingHTTPServer]:
    """An echoing partner on a free loopback port (answers 400 unless told otherwise)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.status = 400
    with answering(server):
        yield server


def _enqueue_marked(app, institution_id) -> None:
    with transaction(app) as session:
        outbox.enqueue(session, "referral.accepted", {
            "event": "referral.accepted",
            "referral": {"id": "r-1", "status": "accepted",
                         "identity": {"name": MARKER}, "notes": MARKER}},
            institution_id=institution_id)


def _assert_nowhere(app, caplog) -> str | None:
    """The marker is in no log record and no audit detail; returns the message's last_error."""
    for record in caplog.records:
        assert MARKER not in record.getMessage()
        assert MARKER not in (record.exc_text or "")
    with transaction(app) as session:
        details = [entry.detail for entry in session.scalars(select(AuditEntry))]
        message = session.scalar(select(OutboxMessage))
    assert MARKER not in repr(details)
    return message.last_error


@pytest.mark.parametrize("status", [400, 503])
def test_a_partner_echoing_our_payload_leaves_only_its_status(app, make_partner, echo, caplog,
                                                              status):
    partner = make_partner("hospital")
    echo.status = status
    set_endpoint(app, "webhook", f"http://127.0.0.1:{echo.server_port}/hook",
                 institution_id=partner.institution_id)
    _enqueue_marked(app, partner.institution_id)
    caplog.set_level(logging.DEBUG)
    assert Worker(app).run_once() == 1
    assert _assert_nowhere(app, caplog) == f"HTTP {status}"
    assert any(f"HTTP {status}" in record.getMessage() for record in caplog.records)


def test_an_unreachable_partner_leaves_only_the_error_type(app, make_partner, caplog):
    partner = make_partner("hospital")
    with ThreadingHTTPServer(("127.0.0.1", 0), _Echo) as closed:
        port = closed.server_port  # bound, then closed: nothing listens there
    set_endpoint(app, "webhook", f"http://127.0.0.1:{port}/hook",
                 institution_id=partner.institution_id)
    _enqueue_marked(app, partner.institution_id)
    caplog.set_level(logging.DEBUG)
    Worker(app).run_once()
    assert _assert_nowhere(app, caplog) == "endpoint could not be reached"  # gateway/net.py
    with transaction(app) as session:
        assert session.scalar(select(OutboxMessage.status)) is OutboxStatus.PENDING


def _integrity_error(app) -> IntegrityError:
    """A real database error whose message carries MARKER as a bound value."""
    with pytest.raises(IntegrityError) as failed, transaction(app) as session:
        session.execute(insert(Coordinator).values(email=MARKER))
    assert MARKER in str(failed.value)  # the leak this guards against is real
    return failed.value


def test_an_error_escaping_every_handler_is_logged_without_bound_values(app, caplog,
                                                                      monkeypatch):
    exc = _integrity_error(app)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.DEBUG)
    with app.test_request_context("/api/v1/referrals?subject=x", method="POST"):
        try:
            raise exc
        except IntegrityError as raised:  # Flask's last resort (a failed commit, say)
            response = app.handle_exception(raised)
    assert response.status_code == 500
    assert response.headers["Cache-Control"] == "no-store"
    assert MARKER not in response.get_data(as_text=True)
    logged = "\n".join(record.getMessage() + (record.exc_text or "")
                       for record in caplog.records)
    assert "IntegrityError" in logged and "POST /api/v1/referrals" in logged
    assert MARKER not in logged and "subject=x" not in logged


def test_an_unhandled_error_in_a_view_is_logged_without_bound_values(app, caplog):
    from gateway.problems import handle_unexpected

    exc = _integrity_error(app)
    caplog.set_level(logging.DEBUG)
    with app.test_request_context("/api/v1/referrals", method="POST"):
        response = handle_unexpected(exc)
    assert response.status_code == 500
    assert any("IntegrityError" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert MARKER not in record.getMessage() and not record.exc_info


@pytest.mark.live
def test_the_access_log_of_gunicorn_keeps_no_query_string(database_url, key_dir, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    access = tmp_path / "access.log"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent),
           "GATEWAY_ISSUER": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(  # from the repository root, as the README says
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "1", "--bind",
         f"127.0.0.1:{port}", "--access-logfile", str(access), *NO_CONTROL_SOCKET,
         "gateway:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/healthz?filename={MARKER}.pdf"
        for _ in range(600):
            try:
                if requests.get(url, headers={"Referer": f"http://x/?q={MARKER}"},
                                timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not booted yet
                assert process.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = access.read_text()
    assert '"GET /healthz" 200' in logged
    assert MARKER not in logged


def test_an_unmappable_fhir_task_is_refused_without_echoing_the_partners_text():
    task = {"resourceType": "Task", "id": "t-1", "status": MARKER, "intent": "order"}
    with pytest.raises(fhir.Unmappable) as refused:
        fhir.parse_task_update(task, "t-1")
    assert "Task.status must be one of accepted" in str(refused.value)
    assert MARKER not in str(refused.value)
