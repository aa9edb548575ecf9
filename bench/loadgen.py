"""Peak load from wrk (Debian's package) on loopback, and the request files a case sends.

wrk runs as fast as ``CONNECTIONS`` connections go (a closed loop: the peak's req/s, p50 and
p99). The run at half that rate is open-loop, from the same request file, by
``bench/pacer.py``: wrk2 (constant-rate wrk) is not packaged by Debian.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

CONNECTIONS = 32
SCRIPT = Path(__file__).with_name("requests.lua")


@dataclass(frozen=True)
class Request:
    """One HTTP request of a case's request file."""

    method: str
    path: str
    headers: dict[str, str]
    body: str = ""

    def line(self) -> str:
        """The request as one line of the Lua script's file."""
        headers = "\x1e".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method}\t{self.path}\t{headers}\t{self.body}"

    @classmethod
    def parse(cls, line: str) -> Request:
        """The request a line of :meth:`line` wrote."""
        method, path, header_text, body = line.split("\t", 3)
        headers = dict(header.split(": ", 1) for header in header_text.split("\x1e") if header)
        return cls(method, path, headers, body)


@dataclass(frozen=True)
class Run:
    """What a run measured (wrk's peak or the pacer's run at half of it)."""

    requests: int
    seconds: float
    status_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def served(self) -> int:
        """Requests answered without an error status."""
        return max(self.requests - self.status_errors, 0)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.served / self.seconds

    def as_dict(self) -> dict:
        """The run as JSON-ready numbers."""
        found = {**asdict(self), "rate": round(self.rate, 1)}
        if not self.requests:  # no answer at all: no latency to report
            found["p50_ms"] = found["p99_ms"] = None
        return found


def available() -> bool:
    """Whether wrk is installed (``.ci/ensure-wrk`` installs it)."""
    return shutil.which("wrk") is not None


def write_requests(path: Path, requests: list[Request]) -> Path:
    """Write ``requests`` as the Lua script's request file."""
    path.write_text("".join(request.line() + "\n" for request in requests))
    return path


def run(url: str, requests_file: Path, seconds: float) -> Run:
    """One wrk run of ``seconds`` against ``url`` with the requests of ``requests_file``."""
    env = {**os.environ, "BENCH_REQUESTS": str(requests_file)}
    completed = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(seconds, 1):g}s", "--timeout", "10s",
         "-s", str(SCRIPT), url],
        env=env, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next((row for row in completed.stdout.splitlines() if row.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {completed.stdout[-500:]}{completed.stderr}")
    found = json.loads(line.removeprefix("BENCH "))
    return Run(requests=found["requests"], seconds=found["duration_us"] / 1e6,
               status_errors=found["status_errors"], socket_errors=found["socket_errors"],
               p50_ms=found["p50_us"] / 1000, p99_ms=found["p99_us"] / 1000)
