"""``python -m bench`` (``make bench``): what a partner waits for, as ratios to the stack's limit.

For each database (PostgreSQL when ``BENCH_PG_URL``, default the test server, answers; SQLite,
the embedded default, always) the gateway and the bare-insert baseline (``bench/baseline.py``)
are served by gunicorn with the repository's ``gunicorn.conf.py``, side by side, and wrk on
loopback (32 connections, ``bench/requests.lua``) drives each case for ``BENCH_SECONDS`` at full
speed, then paced at half the rate it reached (``bench/loadgen.py``). Every case's req/s is
reported as a ratio to the baseline's in the same run, so figures compare across machines and
loads. Then, in process: consent decisions/s, and sealing + offline verification of
``BENCH_AUDIT_ENTRIES`` audit entries (20,000 by default; the README gives the 1,000,000 figure,
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

from bench import audit_seal, baseline, cases, loadgen, report
from bench.consent_rate import decisions_per_second
from bench.locks import LockSampler
from bench.network import circulation, gateway
from bench.servers import free_port, gunicorn
from gateway.db import engine_of
from gateway.migrate import scratch_postgres_database

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
MAX_RATE = int(os.environ.get("BENCH_MAX_RATE", "1500"))  # sizes the one-use request files
DATABASES = os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(",")
ONLY = [word for word in os.environ.get("BENCH_CASES", "").split(",") if word]  # name parts


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


def _measure(case: Case, scene: cases.Scene, urls: dict[str, str], work: Path,
             sampler_url: str | None) -> dict:
    """A peak run, then a paced run at half the peak's rate, of ``case``."""
    url = urls[case.server]
    sampling = LockSampler(sampler_url) if sampler_url else nullcontext()
    with sampling as sampler:
        peak_file = loadgen.write_requests(work / "peak.txt",
                                           case.build(scene, int(MAX_RATE * SECONDS)))
        peak = loadgen.run(url, peak_file, SECONDS)
    paced_count = int(peak.rate / 2 * SECONDS * 1.5) + 100
    paced_file = loadgen.write_requests(work / "paced.txt", case.build(scene, paced_count))
    paced = loadgen.run(url, paced_file, SECONDS, delay_ms=loadgen.paced_delay_ms(peak.rate / 2))
    found = {"peak": peak.as_dict(), "paced": paced.as_dict(), "paced_target": peak.rate / 2}
    if sampler is not None:
        found["lock_wait_share"] = round(sampler.share, 4)
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
    with gunicorn("gateway:create_app()", env, directory / "gateway.log", port) as gateway_url, \
            gunicorn("bench.baseline:create_app()", env, directory / "baseline.log") as base_url:
        scene = cases.prepare(gateway_url, university, hospital, school)
        scene.baseline_row = row_id
        urls = {"gateway": gateway_url, "baseline": base_url}
        for case in CASES:
            if ONLY and case is not CASES[0] and not any(word in case.name for word in ONLY):
                continue
            found = _measure(case, scene, urls, directory,
                             url if name == "postgresql" else None)
            base = results["cases"].get(CASES[0].name, found)["peak"]["rate"]
            found["ratio"] = round(found["peak"]["rate"] / base, 3) if base else 0.0
            results["cases"][case.name] = found
            _print_case(name, case.name, found)
        results["inbox_deep_page_after"] = scene.inbox_depth
    results["consent_decisions_per_s"] = decisions_per_second(app, university, hospital,
                                                              min(SECONDS, 2))
    engine_of(app).dispose()
    return results


def _print_case(database: str, name: str, found: dict) -> None:
    peak, paced = found["peak"], found["paced"]
    errors = peak["status_errors"] + paced["status_errors"]
    print(f"{database:<10} {name:<32} {peak['rate']:>8.0f} req/s  x{found['ratio']:<6.2f} "
          f"p50 {peak['p50_ms'] or 0:>6.1f} ms  p99 {peak['p99_ms'] or 0:>7.1f} ms  "
          f"p99@half {paced['p99_ms'] or 0:>6.1f} ms  errors {errors}", flush=True)


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
