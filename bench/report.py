"""The bench's outputs: a printed table, ``bench/results/latest.json`` and a PNG chart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).with_name("results")))


def table(results: dict) -> str:
    """The results as a Markdown table, one row per database and case (each case's ratio to
    the bare insert, from slices of each in turn), and the bare insert's spread over the run."""
    lines = ["| database | case | req/s | ratio to bare insert | p50 ms | p99 ms | "
             "p99 ms at half peak (open loop) | CPU ms per request, server + database | "
             "errors | lock-wait share |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for database, found in results["databases"].items():
        for name, case in found["cases"].items():
            peak, paced = case["peak"], case["paced"]
            share = case.get("lock_wait_share")
            lines.append(
                f"| {database} | {name} | {peak['rate']:,.0f} | {case['ratio']:.2f} | "
                f"{_ms(peak['p50_ms'])} | {_ms(peak['p99_ms'])} | {_ms(paced['p99_ms'])} | "
                f"{cpu(case.get('cpu_ms_per_request'))} | "
                f"{peak['status_errors'] + paced['status_errors']} | "
                f"{'' if share is None else f'{share:.1%}'} |")
    for database, found in results["databases"].items():
        for name, rate in found["consent_decisions_per_s"].items():
            lines.append(f"| {database} | consent decision, {name} (in process) | "
                         f"{rate:,.0f} decisions/s | | | | | | | |")
    for database, timings in results.get("audit_seal", {}).items():
        count = timings["entries"]
        lines.append(f"| {database} | audit seal + offline verify, {count:,} entries | "
                     f"seal {timings['seal']:.1f} s, export {timings['export']:.1f} s, "
                     f"verify {timings['verify']:.1f} s | | | | | | | |")
    return "\n".join([*lines, *_workers_table(results), *_bare_spread(results)])


def _bare_spread(results: dict) -> list[str]:
    """How far the bare insert's slices moved over each database's run: the machine's drift,
    which each case's ratio (to the bare slices between its own) leaves out."""
    rows = []
    for database, found in results["databases"].items():
        rates = [rate for case in found["cases"].values()
                 for rate in case.get("interleaved", {}).get("bare_rates", [])]
        if rates:
            rows.append(f"bare insert, {database}: {len(rates)} slices between the cases', "
                        f"from {min(rates):,.0f} to {max(rates):,.0f} req/s")
    return ["", *rows] if rows else []


def _workers_table(results: dict) -> list[str]:
    """The 8-worker runs beside the 2-worker ones (PostgreSQL), if there were any."""
    rows = []
    for database, found in results["databases"].items():
        for key in (key for key in found if key.startswith("workers_")):
            workers = key.removeprefix("workers_")
            for name, more in found[key].items():
                two = found["cases"][name]
                share = more["lock_wait_share"]
                rows.append(f"| {database} | {name} | {two['peak']['rate']:,.0f} | "
                            f"{two['ratio']:.2f} | {more['peak']['rate']:,.0f} | "
                            f"{more['ratio']:.2f} | {more['vs_2_workers']:.2f} | "
                            f"{'' if share is None else f'{share:.1%}'} |")
    if not rows:
        return []
    return ["", f"| database | case | 2 workers req/s | ratio | {workers} workers req/s | "
            f"ratio | {workers} / 2 | lock-wait share ({workers} workers) |",
            "|---|---|---:|---:|---:|---:|---:|---:|", *rows]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def cpu(share: dict | None) -> str:
    """``server + database`` ms (the database part on PostgreSQL only; SQLite runs inside
    the server); "-" for results written before it was measured."""
    if share is None:
        return "-"
    database = share["database_ms"]
    return f"{share['server_ms']:.2f}" + ("" if database is None else f" + {database:.2f}")


def chart(results: dict, path: Path) -> Path:
    """A bar chart of every case's ratio to the bare insert, per database."""
    databases = list(results["databases"])
    names = list(next(iter(results["databases"].values()))["cases"])
    figure, axes = plt.subplots(figsize=(10, 5))
    width = 0.8 / max(len(databases), 1)
    for offset, database in enumerate(databases):
        cases = results["databases"][database]["cases"]
        axes.barh([i + offset * width for i in range(len(names))],
                  [cases[name]["ratio"] if name in cases else 0 for name in names],
                  height=width, label=database)
    axes.set_yticks([i + width * (len(databases) - 1) / 2 for i in range(len(names))], names)
    axes.invert_yaxis()
    axes.axvline(1.0, color="grey", linewidth=0.8)
    axes.set_xlabel("req/s as a ratio of the bare insert's, same run (higher is better)")
    axes.set_title("make bench: gunicorn + wrk on loopback, 32 connections")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def write(results: dict, directory: Path = RESULTS) -> tuple[Path, Path]:
    """Write ``latest.json`` and ``latest.png`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "latest.json"
    data.write_text(json.dumps(results, indent=2) + "\n")
    return data, chart(results, directory / "latest.png")
