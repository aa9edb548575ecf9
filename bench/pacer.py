"""An open-loop, constant-rate HTTP load generator for the "p99 at half peak" run.

Request ``i`` of a run is due at ``start + i / rate``, whatever happened to the ones before: a
slow answer does not delay the schedule, the requests due meanwhile wait for a free
connection, and each latency is measured from the request's *intended* send time (wrk2's
coordinated-omission correction). A closed loop (wrk with a ``delay()``) would instead send
less while the server is slow and hide exactly the queueing a partner would see.

The requests come from the file ``bench/loadgen.py`` writes for wrk (one line per request,
cycled when the case repeats a few), sent over ``CONNECTIONS`` connections kept alive when the
server allows it (gunicorn's sync workers close each one: it is then reopened). Latencies go
into an HdrHistogram (1 µs to 60 s, 3 significant digits). Hand-written: PyPI's load
generators (locust, molotov) run closed loops of users, and npm's autocannon paces
connections that still wait for each answer and only back-fills estimated samples
(README, "Performance"). It costs about 1 ms of CPU per request (measured on the loaded
shared machine): a few per cent of one core at a half-peak run's rates (``client_cpu_share``
in the results).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

from bench.loadgen import CONNECTIONS, Request, Run

TIMEOUT = 10.0  # seconds a request may take, as wrk's --timeout; later ones count as timeouts
START_DELAY = 0.05  # seconds between opening the run and its first due request


@dataclass
class Paced:
    """An open-loop run's result: the wrk-shaped :class:`Run` and the client's own CPU use."""

    run: Run
    client_cpu_share: float  # the pacer's CPU seconds / the run's wall seconds

    def as_dict(self) -> dict:
        """The run as JSON-ready numbers."""
        return {**self.run.as_dict(), "client_cpu_share": round(self.client_cpu_share, 4)}


@dataclass
class _Tally:
    histogram: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 60_000_000, 3))
    answered: int = 0
    status_errors: int = 0
    socket_errors: int = 0
    last_answer: float = 0.0


def scheduled(rate: float, seconds: float) -> int:
    """How many requests a run of ``seconds`` at ``rate`` sends (at least 1 per second)."""
    return max(1, math.ceil(max(rate, 1.0) * seconds))


def payloads(requests_file: Path, host: str) -> list[bytes]:
    """Each line of a wrk request file as the bytes of one HTTP/1.1 request to ``host``."""
    found = []
    for line in requests_file.read_text().split("\n")[:-1]:  # not splitlines(): \x1e is one
        request = Request.parse(line)
        body = request.body.encode()
        head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}",
                *(f"{name}: {value}" for name, value in request.headers.items())]
        if body or request.method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        found.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return found


class _Connection:
    """One client connection, reopened whenever the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None

    async def exchange(self, payload: bytes) -> int:
        """Send one request and read its whole response; its status code."""
        reused = self._streams is not None
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self._address)
        reader, writer = self._streams
        writer.write(payload)
        try:
            await writer.drain()
            status_line = await reader.readline()
        except ConnectionError:
            status_line = b""
        if not status_line:  # a kept-alive connection the server had closed: once more, anew
            self.close()
            if reused:
                return await self.exchange(payload)
            raise ConnectionError("connection closed before a response")
        status = int(status_line.split()[1])
        keep_alive = await self._read_rest(reader)
        if not keep_alive:
            self.close()
        return status

    @staticmethod
    async def _read_rest(reader: asyncio.StreamReader) -> bool:
        """Read headers and body; whether the connection stays open."""
        length, chunked, keep_alive = None, False, True
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                keep_alive = value != "close"
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length is not None:
            await reader.readexactly(length)
        else:
            await reader.read()
            keep_alive = False
        return keep_alive


async def _serve(connection: _Connection, queue: asyncio.Queue, tally: _Tally) -> None:
    loop = asyncio.get_running_loop()
    while True:
        due, payload = await queue.get()
        try:
            async with asyncio.timeout(TIMEOUT):  # no extra task per request, as wait_for makes
                status = await connection.exchange(payload)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
            tally.socket_errors += 1
            connection.close()
        else:
            now = loop.time()
            tally.histogram.record_value(max(1, round((now - due) * 1e6)))
            tally.answered += 1
            tally.status_errors += status >= 400
            tally.last_answer = now
        finally:
            queue.task_done()


async def _run(url: str, requests_file: Path, seconds: float, rate: float,
               connections: int) -> tuple[_Tally, float]:
    address = urlsplit(url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    sendable = payloads(requests_file, f"{host}:{port}")
    total = scheduled(rate, seconds)
    queue: asyncio.Queue = asyncio.Queue()
    tally = _Tally()
    pool = [_Connection(host, port) for _ in range(connections)]
    workers = [asyncio.create_task(_serve(connection, queue, tally)) for connection in pool]
    loop = asyncio.get_running_loop()
    start = loop.time() + START_DELAY
    for index in range(total):
        due = start + index / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        queue.put_nowait((due, sendable[index % len(sendable)]))
    try:
        await asyncio.wait_for(queue.join(), TIMEOUT)
    except TimeoutError:  # still queued or in flight: timeouts, as wrk counts them
        tally.socket_errors += total - tally.answered - tally.socket_errors
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    for connection in pool:
        connection.close()
    return tally, max(tally.last_answer, start + seconds) - start


def run(url: str, requests_file: Path, seconds: float, rate: float, *,
        connections: int = CONNECTIONS) -> Paced:
    """Send ``rate * seconds`` requests of ``requests_file`` to ``url`` on a fixed schedule."""
    cpu = time.process_time()
    rate = max(rate, 1.0)
    tally, elapsed = asyncio.run(_run(url, requests_file, seconds, rate, connections))
    cpu = time.process_time() - cpu
    histogram = tally.histogram
    measured = Run(requests=tally.answered, seconds=elapsed, status_errors=tally.status_errors,
                   socket_errors=tally.socket_errors,
                   p50_ms=histogram.get_value_at_percentile(50) / 1000,
                   p99_ms=histogram.get_value_at_percentile(99) / 1000)
    return Paced(measured, cpu / elapsed)
