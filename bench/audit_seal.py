"""``python -m bench.audit_seal [N]``: seal N audit entries and verify them offline.

N entries (20,000 by default, or ``BENCH_AUDIT_ENTRIES``; the README gives the figure for
1,000,000) are inserted unsequenced (not timed), then timed: sealing them all (leaf numbers,
tree nodes, one checkpoint per batch of ``AUDIT_SEAL_BATCH``), exporting, and
``python -m gateway.audit.verify``'s check of the export (every leaf and root recomputed, every
checkpoint's signature checked). Each database is a fresh one (``bench.__main__.databases``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import insert

from bench.network import gateway
from gateway.audit.verify import verify_directory
from gateway.cli import seal_until_done
from gateway.db import engine_of, transaction
from gateway.keystore import current_log_of
from gateway.models import AuditEntry, utcnow
from gateway.services.audit import integrity

DEFAULT_ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "20000"))
CHUNK = 10_000


def insert_entries(app: Flask, count: int) -> None:
    """``count`` realistic, unsequenced entries, inserted in bulk (the database's trigger adds
    their pending rows)."""
    now = utcnow()
    with engine_of(app).begin() as connection:
        for start in range(0, count, CHUNK):
            rows = [{"seq": seq, "recorded_at": now, "actor": "client:gw_bench",
                     "actor_institution_id": "7d1f5f0e-54a3-4d55-9c39-0f2b5e1d8a11",
                     "action": "referral.read", "object_type": "referral",
                     "object_id": f"0b6e3a5c-0000-4000-8000-{seq:012d}",
                     "purpose": "referral", "consent_id": None, "outcome": "success",
                     "request_id": f"{seq:032x}", "detail": {"n": seq}}
                    for seq in range(start + 1, min(start + CHUNK, count) + 1)]
            connection.execute(insert(AuditEntry), rows)  # their pending rows: the trigger


def seal_and_verify(app: Flask, count: int, directory: Path) -> dict[str, float]:
    """Timings (seconds) of sealing ``count`` entries, exporting and verifying offline."""
    insert_entries(app, count)
    started = time.perf_counter()
    size = seal_until_done(app)
    sealed = time.perf_counter()
    log = current_log_of(app)
    with transaction(app) as session:
        exported = integrity.export(session, log.verifiers, directory)
    written = time.perf_counter()
    finding = verify_directory(directory, log.vkeys())
    verified = time.perf_counter()
    if size != count or exported != count or not finding.ok:
        raise SystemExit(f"bench: sealed {size}, exported {exported}, verify: {finding.fault}")
    return {"seal": sealed - started, "export": written - sealed, "verify": verified - written}


def report(database: str, url: str, count: int, directory: Path) -> dict[str, float]:
    """Seal, export and verify on one database; print and return the timings."""
    app = gateway(url, directory / "instance")
    timings = seal_and_verify(app, count, directory / "export")
    engine_of(app).dispose()
    for step, seconds in timings.items():
        print(f"{database:<11} audit {step:<7} {count:>9} entries {seconds:>8.2f} s "
              f"{count / seconds:>11.0f} entries/s", flush=True)
    return timings


def main(count: int = DEFAULT_ENTRIES) -> dict[str, dict]:
    """Run on every reachable database, each a fresh one; the timings by database."""
    from bench.__main__ import databases

    found_timings = {}
    with tempfile.TemporaryDirectory(prefix="gw-bench-audit-") as tmp, \
            databases(Path(tmp)) as found:
        for name, url in found:
            found_timings[name] = {"entries": count,
                                   **report(name, url, count, Path(tmp) / name)}
    return found_timings


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ENTRIES)
