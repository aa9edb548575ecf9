"""``python -m bench.inprocess [CASE ...] [-n N] [--profile]``: the bench's cases in process.

The same rows and the same requests as ``make bench`` (``bench/cases.py``), sent through the
apps' Flask test clients instead of gunicorn and wrk, on a fresh database (PostgreSQL when it
answers, and SQLite; ``BENCH_DATABASES``). For each case: requests per second and the
process's **CPU milliseconds per request** — the figure to compare between two versions of the
code (a round trip costs wall time, not this process's CPU; the test client adds the same
small cost to every case). CASE picks cases by a word of their names (``create``, ``inbox``,
``token``...; every case by default); ``--profile`` adds a cProfile on CPU time of the
measured requests (its 40 costliest calls, cumulative), which is how the hot paths of issue 14
were found (docs/performance.md, "Profile"). Once the apps are loaded, the process takes the
workers' collector settings (``post_worker_init`` in ``gunicorn.conf.py``: the app frozen, a
collection every 50,000 allocations), so that a change that allocates less is not credited
with collections no worker makes.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import runpy
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from flask import Flask
from flask.testing import FlaskClient

from bench import baseline, cases
from bench.__main__ import CASES, databases
from bench.loadgen import Request
from bench.network import ISSUER, circulation, gateway
from bench.servers import ROOT
from gateway.db import engine_of

WARM_UP = 30


class _Response:
    """What ``bench.cases`` reads of a requests response, from a test client's."""

    def __init__(self, response, method: str, path: str) -> None:
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)
        self.request = SimpleNamespace(method=method, path_url=path)
        self._response = response

    def json(self) -> dict:
        return self._response.get_json()


class _TestClientHttp:
    """The part of a ``requests.Session`` ``bench.cases.prepare`` uses, over a test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _send(self, method: str, url: str, *, headers=None, json=None, data=None, params=None,
              timeout=None) -> _Response:
        path = url.removeprefix(ISSUER)
        return _Response(self.client.open(path, method=method, headers=headers, json=json,
                                          data=data, query_string=params), method, path)

    def get(self, url: str, **options) -> _Response:
        return self._send("GET", url, **options)

    def post(self, url: str, **options) -> _Response:
        return self._send("POST", url, **options)

    def put(self, url: str, **options) -> _Response:
        return self._send("PUT", url, **options)


def _send(client: FlaskClient, request: Request) -> None:
    response = client.open(request.path, method=request.method, headers=request.headers,
                           data=request.body)
    if response.status_code >= 300:
        raise RuntimeError(f"{request.method} {request.path.split('?')[0]} answered "
                           f"{response.status_code}: {response.get_data(as_text=True)[:300]}")


def measure(client: FlaskClient, requests: list[Request], count: int, *, profile: bool
            ) -> tuple[float, float]:
    """(requests/s, CPU ms per request) over ``count`` requests cycling through ``requests``,
    after ``WARM_UP`` unmeasured ones."""
    cycle = itertools.cycle(requests)
    for _ in range(WARM_UP):
        _send(client, next(cycle))
    profiler = cProfile.Profile(time.process_time) if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(count):
        _send(client, next(cycle))
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return count / wall, cpu * 1000 / count


def run(name: str, url: str, directory: Path, words: list[str], count: int, *,
        profile: bool) -> None:
    """Every chosen case on one database, a line each."""
    app: Flask = gateway(url, directory)
    os.environ["BENCH_BASELINE_DATABASE_URL"] = url
    row = baseline.create_tables(url)
    clients = {"gateway": app.test_client(), "baseline": baseline.create_app().test_client()}
    university, hospital, school = circulation(app)
    scene = cases.prepare(ISSUER, university, hospital, school,
                          _TestClientHttp(clients["gateway"]))
    scene.baseline_row = row
    _collect_as_a_worker()
    for case in CASES:
        if words and not any(word.lower() in case.name.lower() for word in words):
            continue
        requests = case.build(scene, WARM_UP + count)
        rate, cpu_ms = measure(clients[case.server], requests, count, profile=profile)
        print(f"{name:<10} {case.name:<32} {rate:>7,.0f} req/s  {cpu_ms:6.2f} ms CPU per "
              f"request ({count})", flush=True)
    engine_of(app).dispose()


def _collect_as_a_worker() -> None:
    """The garbage collector set as gunicorn's workers set theirs once the app is loaded."""
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"](None)


def main() -> None:
    """Parse the arguments; run on every reachable database."""
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("cases", nargs="*", help="words of the case names (default: every case)")
    parser.add_argument("-n", "--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gw-inprocess-") as tmp, \
            databases(Path(tmp)) as found:
        for name, url in found:
            run(name, url, Path(tmp) / name, options.cases, options.requests,
                profile=options.profile)


if __name__ == "__main__":
    main()
