"""The open-loop pacer sends a request file's lines on schedule and counts what came back."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import pacer
from bench.loadgen import Request, write_requests
from tests.live_support import answering


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request (503 for ``/fail``), closing every other connection."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str, str]]
    lock = threading.Lock()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with self.lock:
            self.seen.append((self.command, self.path, self.headers.get("X-Case", ""), body))
            close = len(self.seen) % 2 == 0
        reply = b'{"ok": true}'
        self.send_response(503 if self.path == "/fail" else 200)
        self.send_header("Content-Length", str(len(reply)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply)
        self.close_connection = close

    do_GET = do_POST = _answer

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list]]:
    seen: list = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    with answering(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen


def test_every_scheduled_request_is_sent_once_from_the_file_and_answered(server, tmp_path):
    url, seen = server
    lines = [Request("POST", f"/items/{n}", {"X-Case": "paced", "Content-Type": "text/plain"},
                     f"body {n}") for n in range(9)] + [Request("GET", "/fail", {})]
    requests_file = write_requests(tmp_path / "paced.txt", lines)
    total = pacer.scheduled(40, 1.0)

    found = pacer.run(url, requests_file, 1.0, 40, connections=4)

    sent = [lines[index % len(lines)] for index in range(total)]
    assert Counter(seen) == Counter((r.method, r.path, r.headers.get("X-Case", ""), r.body)
                                    for r in sent)
    assert found.run.requests == total and found.run.socket_errors == 0
    assert found.run.status_errors == sum(r.path == "/fail" for r in sent)
    assert isinstance(found.run.p99_ms, float) and found.run.p99_ms >= found.run.p50_ms
    assert set(found.as_dict()) >= {"rate", "p99_ms", "client_cpu_share"}


def test_a_request_line_reads_back_as_the_request_written():
    request = Request("POST", "/oauth/token?x=1", {"Content-Type": "application/json",
                                                   "Authorization": "Bearer a: b"}, '{"a": 1}')
    assert Request.parse(request.line()) == request
    assert Request.parse(Request("GET", "/healthz", {}).line()) == Request("GET", "/healthz", {})
