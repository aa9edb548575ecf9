"""The inbox at one size of the database: wrk over gunicorn, and the plans of its queries.

Cases: the first page and a deep page (the cursor of the box's middle row) in both orders the
inbox offers (newest, deadline), and a first page filtered by ``risk_level``. Each runs
``BENCH_SECONDS`` at full speed with ``CONNECTIONS`` connections (req/s, p50, p99). Each case's
SQL is captured from the real service in process and EXPLAINed (ANALYZE) on the same database:
the plan says which index serves the order and whether anything was sorted in memory.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import requests
from flask import Flask
from sqlalchemy import event, select

from bench import loadgen
from bench.cases import Scene
from bench.loadgen import Request
from bench.network import Member
from bench.servers import free_port, gunicorn
from gateway.db import engine_of, transaction
from gateway.models import Referral, ReferralStatus
from gateway.services import cursors
from gateway.services.actor import Actor
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import reads, triage

SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
CONNECTIONS = loadgen.CONNECTIONS
LIMIT = 20
CASES = ("first page, newest", "deep page, newest", "first page, deadline",
         "deep page, deadline", "first page, risk_level=high")


def _middle_cursor(app: Flask, hospital: Member, sort: str, size: int) -> str:
    """The cursor after the inbox's middle row in ``sort`` order."""
    order = triage.Order.named(sort)
    with transaction(app) as session:
        row = session.scalar(select(Referral).where(
            Referral.recipient_id == hospital.institution_id,
            Referral.status != ReferralStatus.DRAFT)
            .order_by(*order.columns()).offset(size // 2).limit(1))
        return cursors.encode(*order.position(row))


def queries(app: Flask, hospital: Member, size: int) -> dict[str, str]:
    """Each case's query string."""
    deep = {sort: _middle_cursor(app, hospital, sort, size) for sort in ("newest", "deadline")}
    base = {"box": "inbox", "limit": LIMIT}
    return {
        "first page, newest": urlencode(base),
        "deep page, newest": urlencode({**base, "cursor": deep["newest"]}),
        "first page, deadline": urlencode({**base, "sort": "deadline"}),
        "deep page, deadline": urlencode({**base, "sort": "deadline",
                                          "cursor": deep["deadline"]}),
        "first page, risk_level=high": urlencode({**base, "risk_level": "high"}),
    }


@contextmanager
def _captured(app: Flask):
    """The (statement, parameters) of every query on ``referrals`` run inside the block."""
    found: list[tuple[str, object]] = []

    def _keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM referrals" in statement and not statement.startswith("EXPLAIN"):
            found.append((statement, parameters))

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", _keep)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", _keep)


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def explain(app: Flask, hospital: Member, query: str) -> dict:
    """The plan of the referrals query the service runs for ``query``: the indexes it scans,
    whether it sorts in memory, the rows it read and its execution time."""
    args = dict(parse_qsl(query))
    actor = Actor("bench", hospital.institution_id, frozenset({"referrals:read"}))
    with _captured(app) as found, transaction(app) as session:
        reads.list_box(session, actor, box="inbox", sort=args.get("sort", "newest"),
                       cursor=args.get("cursor"), risk_level=args.get("risk_level"),
                       limit=int(args["limit"]), policy=Policy.from_config(app.config))
        plans = [session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()[0]
            for statement, parameters in found]
    described = []
    for plan in plans:
        nodes = _nodes(plan["Plan"])
        described.append({
            "indexes": sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
            "sorts_in_memory": any("Sort" in n["Node Type"] for n in nodes),
            "rows_read": max(n.get("Actual Rows", 0) for n in nodes if "Scan" in n["Node Type"]),
            "execution_ms": plan["Execution Time"]})
    return {"statements": described}


def measure(app: Flask, url: str, directory: Path, hospital: Member, size: int) -> dict:
    """Serve the gateway on ``url``'s database and drive every case; plans included."""
    found: dict = {"cases": {}, "load_average": os.getloadavg()}
    cases = queries(app, hospital, size)
    port = free_port()
    env = {"GATEWAY_DATABASE_URL": url, "GATEWAY_KEY_DIR": str(directory / "keys"),
           "GATEWAY_INSTANCE_PATH": str(directory), "GATEWAY_ISSUER": f"http://127.0.0.1:{port}",
           "GATEWAY_RATELIMIT_ENABLED": "false"}
    with gunicorn("gateway:create_app()", env, directory / f"gateway-{size}.log",
                  port) as served:
        scene = Scene(served, hospital, hospital, hospital, requests.Session(), [], [])
        headers = scene.bearer(hospital)
        for name in CASES:
            path = f"/api/v1/referrals?{cases[name]}"
            probe = scene.http.get(served + path, headers=headers, timeout=60)
            probe.raise_for_status()
            requests_file = loadgen.write_requests(directory / "scale.txt",
                                                   [Request("GET", path, headers)])
            loadgen.run(served, requests_file, 1)  # warm up: workers, caches, the pool
            run = loadgen.run(served, requests_file, SECONDS).as_dict()
            run["items_on_page"] = len(probe.json()["items"])
            run["plan"] = explain(app, hospital, cases[name])
            found["cases"][name] = run
            print(f"{size:>9,}  {name:<28} {run['rate']:>7.1f} req/s  "
                  f"p50 {run['p50_ms'] or 0:>7.1f} ms  p99 {run['p99_ms'] or 0:>7.1f} ms  "
                  f"errors {run['status_errors']}  plan {run['plan']['statements'][0]}",
                  flush=True)
    return found


def p99_ratios(sizes: dict) -> dict[str, float]:
    """p99 at the largest size over p99 at the smallest, per case."""
    if len(sizes) < 2:
        return {}
    smallest, largest = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
    return {name: round(largest["cases"][name]["p99_ms"] / smallest["cases"][name]["p99_ms"], 2)
            for name in CASES if smallest["cases"][name]["p99_ms"]}


def table(results: dict) -> str:
    """The results as a Markdown table: one row per case, req/s and p50/p99 per size."""
    sizes = sorted(results["sizes"], key=int)
    head = " | ".join(f"{int(size):,}: req/s, p50, p99 ms" for size in sizes)
    lines = [f"| case | {head} | p99 ratio largest / smallest | index, sorted in memory? |",
             "|---|" + "---:|" * len(sizes) + "---:|---|"]
    for name in CASES:
        cells = []
        for size in sizes:
            run = results["sizes"][size]["cases"][name]
            cells.append(f"{run['rate']:,.0f}, {run['p50_ms']:.0f}, {run['p99_ms']:.0f}")
        plan = results["sizes"][sizes[-1]]["cases"][name]["plan"]["statements"][0]
        lines.append(f"| {name} | {' | '.join(cells)} | "
                     f"{results['p99_ratios'].get(name, '-')} | "
                     f"{', '.join(plan['indexes']) or 'none'}, "
                     f"{'sorted' if plan['sorts_in_memory'] else 'no sort'} |")
    generated = ", ".join(f"{int(size):,} in {results['sizes'][size]['generate_seconds']:.0f} s"
                          for size in sizes)
    lines.append(f"\nGenerated (cumulative COPY, after {results['templates_seconds']:.0f} s of "
                 f"{results['subjects']} templates through the services): {generated}.")
    return "\n".join(lines)
