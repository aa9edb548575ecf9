"""``python -m bench`` (``make bench``): what a partner waits for, as ratios to the stack's limit.

For each database (PostgreSQL when ``BENCH_PG_URL``, default the test server, answers; SQLite,
the embedded default, always) the gateway and the bare-insert baseline (``bench/baseline.py``)
are served by gunicorn with the repository's ``gunicorn.conf.py``, side by side, and wrk on
loopback (32 connections, ``bench/requests.lua``) drives each case for ``BENCH_SECONDS`` at full
speed (``bench/loadgen.py``), then the open-loop pacer (``bench/pacer.py``) sends it at half the
rate it reached, on a fixed schedule. Every case's req/s is reported as a ratio to the
baseline's, measured in ``BENCH_SLICES`` (3) slices of ``BENCH_SLICE_SECONDS`` (2) of each in
turn, so that figures compare across machines and loads. On PostgreSQL, both
servers are then restarted with ``--workers 8`` (same cores) for the peak of referral create
and the inbox's first page, with the share of backends waiting on a lock. Then, in process:
consent decisions/s, and sealing + offline verification of ``BENCH_AUDIT_ENTRIES`` audit
entries (20,000 by default; the README gives the 1,000,000 figure,
``BENCH_AUDIT_ENTRIES=1000000``). Writes ``bench/results/latest.json`` and ``latest.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench import audit_seal, baseline, cases, loadgen, pacer, report
from bench.consent_rate import decisions_per_second
from bench.cpu import CpuMeter
from bench.locks import LockSampler
from bench.network import circulation, gateway
from bench.servers import Server, free_port, gunicorn
from gateway.db import engine_of
from gateway.migrate import scratch_postgres_database

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
MAX_RATE = int(os.environ.get("BENCH_MAX_RATE", "1500"))  # sizes the one-use request files
DATABASES = os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(",")
ONLY = [word for word in os.environ.get("BENCH_CASES", "").split(",") if word]  # name parts
SCALE_WORKERS = 8  # the scale-out comparison's workers per server, against gunicorn.conf.py's
WARM_SECONDS = 3.0  # unmeasured load before each 8-worker run: every worker's first requests
# each case's ratio: slices of it and of the bare insert in turn. A slice loses about its first
# answers' latency to the ramp (32 connections in flight: some 7 % of a one-second slice at 420
# req/s against 3 % at 1,100), so slices are not much shorter than 2 s
SLICES = int(os.environ.get("BENCH_SLICES", "3"))
SLICE_SECONDS = float(os.environ.get("BENCH_SLICE_SECONDS", "2"))


@dataclass(frozen=True)
class Case:
    """A measured case: its name, which server it loads and how its requests are made."""

    name: str
    server: str  # "gateway" or "baseline"
    build: cases.Builder


CASES = [
    Case("bare insert (baseline)", "baseline", cases.bare_insert),
    Case("token issue (private_key_jwt)", "gateway", cases.token_issue),
    Case("referral create", "gateway", cases.referral_create),
    Case("inbox, first page of 20", "gateway", cases.inbox_first),
    Case("inbox, deep page of 20", "gateway", cases.inbox_deep),
    Case("referral read", "gateway", cases.referral_read),
    Case("FHIR Task update", "gateway", cases.task_update),
    Case("booking create", "gateway", cases.booking_create),
    Case("audited read, transparency log", "baseline", cases.audited_with_log),
    Case("audited read, plain insert", "baseline", cases.audited_with_plain_insert),
]


def postgres_reachable() -> bool:
    """Whether the PostgreSQL server at ``PG_URL`` accepts connections."""
    try:
        psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"),
                        connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


@contextmanager
def databases(directory: Path) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of each database to run on, PostgreSQL first when it answers."""
    found = []
    with ExitStack() as stack:
        for name in DATABASES:
            if name == "sqlite":
                found.append(("sqlite", f"sqlite:///{directory / 'bench.sqlite3'}"))
            elif name == "postgresql" and postgres_reachable():
                found.append(("postgresql", stack.enter_context(
                    scratch_postgres_database(PG_URL, "gw_bench"))))
            else:
                print(f"{name}: not reachable; skipped", flush=True)
        yield found


def _peak(case: Case, scene: cases.Scene, server: Server, work: Path, sampler_url: str | None
          ) -> tuple[loadgen.Run, float | None, dict]:
    """wrk at full speed on ``case``; the lock-wait share sampled meanwhile (PostgreSQL) and
    the CPU ms per request of the server and the database's backends."""
    sampling = LockSampler(sampler_url) if sampler_url else nullcontext()
    peak_file = loadgen.write_requests(work / "peak.txt",
                                       case.build(scene, int(MAX_RATE * SECONDS)))
    with sampling as sampler, CpuMeter(server.pid, sampler_url) as meter:
        peak = loadgen.run(server.url, peak_file, SECONDS)
    return (peak, None if sampler is None else round(sampler.share, 4),
            meter.per_request(peak.requests).as_dict())


def _measure(case: Case, scene: cases.Scene, servers: dict[str, Server], work: Path,
             sampler_url: str | None) -> dict:
    """A peak run, then an open-loop run at half the peak's rate, of ``case``."""
    server = servers[case.server]
    peak, share, cpu = _peak(case, scene, server, work, sampler_url)
    target = peak.rate / 2
    paced_file = loadgen.write_requests(
        work / "paced.txt", case.build(scene, pacer.scheduled(target, SECONDS)))
    paced = pacer.run(server.url, paced_file, SECONDS, target)
    found = {"peak": peak.as_dict(), "paced": paced.as_dict(), "paced_target": target,
             "cpu_ms_per_request": cpu}
    if share is not None:
        found["lock_wait_share"] = share
    return found


def _interleaved(case: Case, scene: cases.Scene, servers: dict[str, Server], work: Path
                 ) -> dict:
    """``case`` and the bare insert at full speed in turn, ``SLICES`` times ``SLICE_SECONDS``
    each, and the case's req/s over all its slices as a ratio of the bare insert's over all
    of theirs. A shared machine's speed moves from second to second (seventh pass: the same
    loop took 180 to 293 ms from one run to the next, the bare insert went from 363 to 1,347
    req/s over one run); slices seconds apart see nearly the same moments, where one run of each,
    4 s or more apart, measured the machine as much as the code."""
    runs: dict[str, list[loadgen.Run]] = {"bare": [], "case": []}
    for _ in range(SLICES):
        for side, measured, server in (("bare", CASES[0], servers["baseline"]),
                                       ("case", case, servers[case.server])):
            requests = measured.build(scene, int(MAX_RATE * SLICE_SECONDS))
            runs[side].append(loadgen.run(
                server.url, loadgen.write_requests(work / "slice.txt", requests), SLICE_SECONDS))
    bare_rate, case_rate = _rate_over(runs["bare"]), _rate_over(runs["case"])
    return {"slices": SLICES, "slice_seconds": SLICE_SECONDS,
            "bare_rates": [round(run.rate, 1) for run in runs["bare"]],
            "case_rates": [round(run.rate, 1) for run in runs["case"]],
            "ratio": round(case_rate / bare_rate, 3) if bare_rate else 0.0}


def _rate_over(runs: list[loadgen.Run]) -> float:
    """Successful requests per second over all of ``runs``."""
    return sum(run.served for run in runs) / sum(run.seconds for run in runs)


def _with_ratio(found: dict, case: Case, scene: cases.Scene, servers: dict[str, Server],
                work: Path) -> dict:
    """``found`` with the case's ratio to the bare insert (:func:`_interleaved`)."""
    if case is CASES[0]:
        return {**found, "ratio": 1.0}
    interleaved = _interleaved(case, scene, servers, work)
    return {**found, "interleaved": interleaved, "ratio": interleaved["ratio"]}


def _analyze(database_url: str) -> None:
    """Refresh PostgreSQL's statistics before a case, as autovacuum has long since on a server
    that has been running: the cases before it grow the tables within seconds (referral
    create adds thousands of referrals), and a plan chosen on the statistics of the empty
    table (a sequential scan where an index serves) would measure that moment, not the
    steady state. docs/performance.md, "Where the CPU goes", shows the difference."""
    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute("ANALYZE")


def _selected(case: Case) -> bool:
    return not ONLY or case is CASES[0] or any(word in case.name for word in ONLY)


def _more_workers(scene: cases.Scene, env: dict[str, str], directory: Path, port: int,
                  url: str, two: dict) -> dict:
    """Referral create and the inbox's first page (and the baseline) at full speed with
    ``SCALE_WORKERS`` workers per server; req/s against the 2-worker runs in ``two``."""
    names = {CASES[0].name, "referral create", "inbox, first page of 20"}
    chosen = [case for case in CASES if case.name in names and _selected(case)]
    if len(chosen) < 2:  # the baseline alone: nothing to compare
        return {}
    more = {**env, "GUNICORN_CMD_ARGS": f"--workers {SCALE_WORKERS}"}
    found: dict = {}
    with gunicorn("gateway:create_app()", more, directory / "gateway-8.log", port) as gate, \
            gunicorn("bench.baseline:create_app()", more, directory / "baseline-8.log") as base:
        servers = {"gateway": gate, "baseline": base}
        for case in chosen:  # fresh workers: the first request of each builds its caches
            _analyze(url)
            loadgen.run(servers[case.server].url, loadgen.write_requests(
                directory / "warm.txt", case.build(scene, int(MAX_RATE * WARM_SECONDS))),
                WARM_SECONDS)
            peak, share, cpu = _peak(case, scene, servers[case.server], directory, url)
            two_rate = two[case.name]["peak"]["rate"]
            found[case.name] = _with_ratio({
                "peak": peak.as_dict(), "lock_wait_share": share, "cpu_ms_per_request": cpu,
                "vs_2_workers": round(peak.rate / two_rate, 3) if two_rate else 0.0},
                case, scene, servers, directory)
            print(f"{'postgresql':<10} {case.name + f', {SCALE_WORKERS} workers':<32} "
                  f"{peak.rate:>8.0f} req/s  x{found[case.name]['ratio']:<6.2f} "
                  f"{found[case.name]['vs_2_workers']:.2f} of 2 workers  lock-wait "
                  f"{share:.1%}", flush=True)
    return found


def run_database(name: str, url: str, directory: Path) -> dict:
    """Every case against the gateway and the baseline on one database."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = gateway(url, directory)
    university, hospital, school = circulation(app)
    row_id = baseline.create_tables(url)
    env = {"GATEWAY_DATABASE_URL": url, "GATEWAY_KEY_DIR": str(directory / "keys"),
           "GATEWAY_INSTANCE_PATH": str(directory), "GATEWAY_ISSUER": issuer,
           # the per-client budget would cap the token case at 60/minute: the bench measures
           # the stack, not the limiter
           "GATEWAY_RATELIMIT_ENABLED": "false", "BENCH_BASELINE_DATABASE_URL": url}
    results: dict = {"cases": {}}
    with gunicorn("gateway:create_app()", env, directory / "gateway.log", port) as gate, \
            gunicorn("bench.baseline:create_app()", env, directory / "baseline.log") as base:
        scene = cases.prepare(gate.url, university, hospital, school)
        scene.baseline_row = row_id
        servers = {"gateway": gate, "baseline": base}
        for case in CASES:
            if not _selected(case):
                continue
            if name == "postgresql":
                _analyze(url)
            found = _with_ratio(_measure(case, scene, servers, directory,
                                         url if name == "postgresql" else None),
                                case, scene, servers, directory)
            results["cases"][case.name] = found
            _print_case(name, case.name, found)
        results["inbox_deep_page_after"] = scene.inbox_depth
    if name == "postgresql":  # the 2-worker servers are stopped: the 8-worker ones take over
        results[f"workers_{SCALE_WORKERS}"] = _more_workers(scene, env, directory, port, url,
                                                           results["cases"])
    results["consent_decisions_per_s"] = decisions_per_second(app, university, hospital,
                                                              min(SECONDS, 2))
    engine_of(app).dispose()
    return results


def _print_case(database: str, name: str, found: dict) -> None:
    peak, paced = found["peak"], found["paced"]
    errors = peak["status_errors"] + paced["status_errors"]
    print(f"{database:<10} {name:<32} {peak['rate']:>8.0f} req/s  x{found['ratio']:<6.2f} "
          f"p50 {peak['p50_ms'] or 0:>6.1f} ms  p99 {peak['p99_ms'] or 0:>7.1f} ms  "
          f"p99@half {paced['p99_ms'] or 0:>6.1f} ms (open loop, pacer CPU "
          f"{paced['client_cpu_share']:.0%})  CPU/req {report.cpu(found['cpu_ms_per_request'])}  "
          f"errors {errors}", flush=True)


def main() -> None:
    """Run every case on every reachable database; write the results; print the table."""
    if not loadgen.available():
        raise SystemExit("bench: wrk is not installed (bash .ci/ensure-wrk)")
    started = time.monotonic()
    results: dict = {"seconds_per_run": SECONDS, "connections": loadgen.CONNECTIONS,
                     "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                     "databases": {}}
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp, \
            databases(Path(tmp)) as found:
        for name, url in found:
            results["databases"][name] = run_database(name, url, Path(tmp) / name)
    if not ONLY:
        results["audit_seal"] = audit_seal.main()  # fresh databases: entries numbered from 1
    results["total_seconds"] = round(time.monotonic() - started, 1)
    data, chart = report.write(results)
    print()
    print(report.table(results))
    print(f"\n{data} and {chart} written ({results['total_seconds']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
