"""``python -m bench``: throughput of the gateway's hot paths, in process, on a real database.

Each case runs for a fixed time against the same app; its ops/s is reported with its ratio to the
baseline (``GET /healthz``) measured in the same run, so results compare across machines.
SQLite always; PostgreSQL too when ``BENCH_PG_URL`` (default: the test server) answers.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask

from bench import audit_seal
from bench.network import gateway, network
from gateway.migrate import scratch_postgres_database

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
WARM_UP = 20


def measure(operation: Callable[[], object], seconds: float = SECONDS) -> float:
    """Operations per second of ``operation`` over ``seconds`` (after a short warm-up)."""
    for _ in range(WARM_UP):
        operation()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        operation()
        count += 1
    return count / elapsed


def expect(response, status: int):
    """Stop the run if a case fails: errors are not throughput."""
    if response.status_code != status:
        raise SystemExit(f"bench: expected {status}, got {response.status_code}: "
                         f"{response.get_data(as_text=True)[:300]}")
    return response


def cases(app: Flask) -> dict[str, Callable[[], object]]:
    """The measured operations, each one HTTP request through the whole app."""
    university, hospital = network(app)
    client = app.test_client()

    def token(member) -> dict:
        body = expect(client.post("/oauth/token", data=member.token_form()), 200).get_json()
        return {"Authorization": f"Bearer {body['access_token']}"}

    uni, hosp = token(university), token(hospital)
    expect(client.post("/api/v1/consents", headers=uni, json={
        "subject_ref": "bench-student-1", "grantor": "student", "purpose": "referral",
        "subject_birth_date": "2004-03-01", "data_categories": ["clinical_notes"],
        "recipient_institution_id": str(hospital.institution_id),
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}), 201)
    referral = {"recipient_institution_id": str(hospital.institution_id),
                "subject_ref": "bench-student-1", "priority": "routine",
                "reason": "anxiety_symptoms", "summary": "Benchmark referral."}
    return {
        "baseline GET /healthz": lambda: expect(client.get("/healthz"), 200),
        "token (private_key_jwt)": lambda: token(university),
        "referral create": lambda: expect(
            client.post("/api/v1/referrals", json=referral, headers=uni), 201),
        "inbox read (20 items)": lambda: expect(
            client.get("/api/v1/referrals?box=inbox&limit=20", headers=hosp), 200),
    }


def report(database: str, app: Flask) -> None:
    """Measure every case on ``app`` and print ops/s and the ratio to the baseline."""
    results = {name: measure(operation) for name, operation in cases(app).items()}
    baseline = next(iter(results.values()))
    for name, rate in results.items():
        print(f"{database:<11} {name:<26} {rate:>9.1f} ops/s {rate / baseline:>14.3f} x baseline",
              flush=True)


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
    """(name, URL) of each database to run on."""
    found = [("sqlite", f"sqlite:///{directory / 'bench.sqlite3'}")]
    if not postgres_reachable():
        print("postgresql  (not reachable; skipped)")
        yield found
        return
    with scratch_postgres_database(PG_URL, "gw_bench") as url:
        yield [*found, ("postgresql", url)]


def main() -> None:
    """Run every case on every reachable database."""
    print(f"{'database':<11} {'case':<26} {'throughput':>15} {'ratio to baseline':>25}   "
          f"({SECONDS:g} s per case, in process)")
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp, databases(Path(tmp)) as found:
        for name, url in found:
            report(name, gateway(url, Path(tmp) / name))
    audit_seal.main()  # seal + offline verify of BENCH_AUDIT_ENTRIES (default 1,000,000)


if __name__ == "__main__":
    main()
