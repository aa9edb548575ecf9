"""``python -m bench.token_rate [N] [--profile]``: token issue (private_key_jwt) in process.

N token requests (300 by default), each with its own freshly signed client assertion, go
through the app's test client on a fresh database (PostgreSQL when it answers, and SQLite;
``BENCH_DATABASES``), after 50 unmeasured ones. Prints tokens per second and the process's
CPU milliseconds per token (a database round trip costs wall time, not this process's CPU);
``--profile`` prints pyinstrument's profile of the measured requests.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

from bench.network import Member, circulation, gateway
from gateway.db import engine_of

WARM_UP = 50


def tokens_per_second(app: Flask, member: Member, count: int, *, profile: bool = False
                      ) -> tuple[float, float]:
    """(tokens/s, CPU ms per token) over ``count`` token requests of ``member``."""
    client = app.test_client()
    forms = [member.token_form() for _ in range(WARM_UP + count)]
    for form in forms[:WARM_UP]:
        _issue(client, form)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    for form in forms[WARM_UP:]:
        _issue(client, form)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(color=False))
    return count / wall, cpu * 1000 / count


def _issue(client, form: dict) -> None:
    response = client.post("/oauth/token", data=form)
    if response.status_code != 200:
        raise RuntimeError(f"token request answered {response.status_code}: {response.data!r}")


def main() -> None:
    """Measure on every reachable database and print one line each."""
    from bench.__main__ import databases  # the bench's scratch databases

    count = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), "300"))
    with tempfile.TemporaryDirectory(prefix="gw-token-") as tmp, databases(Path(tmp)) as found:
        for name, url in found:
            directory = Path(tmp) / name
            app = gateway(url, directory)
            university, _hospital, _school = circulation(app)
            rate, cpu_ms = tokens_per_second(app, university, count,
                                             profile="--profile" in sys.argv)
            engine_of(app).dispose()
            print(f"{name}: {rate:,.0f} tokens/s, {cpu_ms:.2f} ms CPU per token "
                  f"({count} requests)", flush=True)


if __name__ == "__main__":
    main()
