"""The inbox at one size of the database: wrk over gunicorn, and the plans of its queries.

Cases: the first page and a deep page (the cursor of the box's middle row) in both orders the
inbox offers (newest, deadline), and a first page filtered by ``risk_level``. Each runs
``BENCH_SECONDS`` at full speed with ``CONNECTIONS`` connections (req/s, p50, p99), every size
in turn, ``BENCH_SCALE_ROUNDS`` times; the medians are reported. Each case's
SQL is captured from the real service in process and EXPLAINed (ANALYZE) on the same database:
the plan says which index serves the order and whether the box was sorted in memory.
"""

from __future__ import annotations

import os
import statistics
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
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
    """The plans of the referrals queries the service runs for ``query``: the indexes each
    scans for the box and whether it sorts the box in memory (below the page's LIMIT), the
    rows it read and its execution time; and how many items the page held."""
    args = dict(parse_qsl(query))
    actor = Actor("bench", hospital.institution_id, frozenset({"referrals:read"}))
    with _captured(app) as found, transaction(app) as session:
        page = reads.list_box(session, actor, box="inbox", sort=args.get("sort", "newest"),
                              cursor=args.get("cursor"), risk_level=args.get("risk_level"),
                              limit=int(args["limit"]), policy=Policy.from_config(app.config))
        plans = [session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()[0]
            for statement, parameters in found]
    described = []
    for plan in plans:
        nodes = _nodes(plan["Plan"])
        # the box's referrals up to the page's LIMIT; above it, each is joined to its consent
        # facts and the page's own rows are ordered, whatever the box holds
        limit = next((n for n in nodes if n["Node Type"] == "Limit"), plan["Plan"])
        box = _nodes(limit)
        described.append({
            "indexes": sorted({n["Index Name"] for n in box if "Index Name" in n}),
            "sorts_in_memory": any("Sort" in n["Node Type"] for n in box),
            "rows_read": max(n.get("Actual Rows", 0) for n in nodes if "Scan" in n["Node Type"]),
            "execution_ms": plan["Execution Time"]})
    return {"items_on_page": len(page.items), "statements": described}


def plans(app: Flask, hospital: Member, queries: dict[str, str]) -> dict[str, dict]:
    """:func:`explain` for every case."""
    return {name: explain(app, hospital, query) for name, query in queries.items()}


def serve(stack: ExitStack, database_url: str, directory: Path, size: int) -> str:
    """gunicorn for the database of ``size`` referrals, kept up by ``stack``; its URL."""
    port = free_port()
    env = {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(directory / "keys"),
           "GATEWAY_INSTANCE_PATH": str(directory), "GATEWAY_ISSUER": f"http://127.0.0.1:{port}",
           "GATEWAY_RATELIMIT_ENABLED": "false"}
    return stack.enter_context(gunicorn("gateway:create_app()", env,
                                        directory / f"gateway-{size}.log", port)).url


@dataclass(frozen=True)
class Target:
    """One database size, served: where, by whom it is read, and each case's query."""

    size: int
    url: str
    hospital: Member
    queries: dict[str, str]


def _run(target: Target, name: str, headers: dict[str, str], work: Path, *,
         warm: bool) -> dict:
    path = f"/api/v1/referrals?{target.queries[name]}"
    requests_file = loadgen.write_requests(work / "scale.txt", [Request("GET", path, headers)])
    if warm:  # workers, caches and the pool, before the first measured run
        loadgen.run(target.url, requests_file, 1)
    run = loadgen.run(target.url, requests_file, SECONDS).as_dict()
    print(f"{target.size:>9,}  {name:<28} {run['rate']:>7.1f} req/s  "
          f"p50 {run['p50_ms'] or 0:>7.1f} ms  p99 {run['p99_ms'] or 0:>7.1f} ms  "
          f"errors {run['status_errors']}", flush=True)
    return run


def _median(runs: list[dict], key: str) -> float | None:
    values = [run[key] for run in runs if run[key] is not None]
    return round(statistics.median(values), 1) if values else None


def measure(targets: list[Target], work: Path, rounds: int) -> dict[int, dict]:
    """Every case at every size, ``rounds`` times in turn (so the machine's noise falls on
    every size alike); per case the median of the rounds' req/s, p50 and p99."""
    runs: dict[tuple[int, str], list[dict]] = {}
    http = requests.Session()
    for round_number in range(rounds):
        for target in targets:  # a token lives 300 s: a fresh one per round
            headers = Scene(target.url, target.hospital, target.hospital, target.hospital,
                            http, [], []).bearer(target.hospital)
            for name in CASES:
                runs.setdefault((target.size, name), []).append(
                    _run(target, name, headers, work, warm=round_number == 0))
    return {target.size: {"cases": {
        name: {"rate": _median(runs[target.size, name], "rate"),
               "p50_ms": _median(runs[target.size, name], "p50_ms"),
               "p99_ms": _median(runs[target.size, name], "p99_ms"),
               "runs": runs[target.size, name]} for name in CASES}} for target in targets}


def p99_ratios(sizes: dict) -> dict[str, float]:
    """p99 at the largest size over p99 at the smallest, per case."""
    if len(sizes) < 2:
        return {}
    smallest, largest = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
    return {name: round(largest["cases"][name]["p99_ms"] / smallest["cases"][name]["p99_ms"], 2)
            for name in CASES
            if smallest["cases"][name]["p99_ms"] and largest["cases"][name]["p99_ms"]}


def table(results: dict) -> str:
    """The results as a Markdown table: one row per case, req/s and p50/p99 per size."""
    sizes = sorted(results["sizes"], key=int)
    head = " | ".join(f"{int(size):,}: req/s, p50, p99 ms" for size in sizes)
    lines = [f"| case | {head} | p99 ratio largest / smallest | box's index, sorted in memory? |",
             "|---|" + "---:|" * len(sizes) + "---:|---|"]
    for name in CASES:
        cells = []
        for size in sizes:
            run = results["sizes"][size]["cases"][name]
            cells.append(f"{run['rate'] or 0:,.0f}, {run['p50_ms'] or 0:.0f}, "
                         f"{run['p99_ms'] or 0:.0f}")
        plan = results["sizes"][sizes[-1]]["plans"][name]["statements"][0]
        lines.append(f"| {name} | {' | '.join(cells)} | "
                     f"{results['p99_ratios'].get(name, '-')} | "
                     f"{', '.join(plan['indexes']) or 'none'}, "
                     f"{'sorted' if plan['sorts_in_memory'] else 'no sort'} |")
    generated = ", ".join(f"{int(size):,} in {results['sizes'][size]['generate_seconds']:.0f} s"
                          for size in sizes)
    lines.append(f"\nMedians of {results['rounds']} rounds of {results['seconds_per_run']:g} s "
                 f"per case and size. Generated with COPY, each size a copy of the one before "
                 f"filled up, after {results['templates_seconds']:.0f} s for "
                 f"{results['subjects']} templates through the services: {generated}.")
    return "\n".join(lines)
