"""The benchmark stays runnable: every case produces numbers (which are never asserted)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("wrk") is None,
                                 reason="wrk is not installed (bash .ci/ensure-wrk)")]

ROOT = Path(__file__).resolve().parents[2]


def test_every_bench_case_produces_numbers(tmp_path, database_url):
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    env = {**os.environ, "BENCH_SECONDS": "1", "BENCH_MAX_RATE": "200", "BENCH_REFERRALS": "4",
           "BENCH_AUDIT_ENTRIES": "300", "BENCH_DATABASES": database, "BENCH_SLICES": "2",
           "BENCH_SLICE_SECONDS": "1",
           "BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bench"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    found = json.loads((tmp_path / "latest.json").read_text())
    assert (tmp_path / "latest.png").stat().st_size > 0
    cases = found["databases"][database]["cases"]
    from bench.__main__ import CASES

    assert list(cases) == [case.name for case in CASES]
    for name, case in list(cases.items())[1:]:  # each against bare slices between its own
        sliced = case["interleaved"]
        assert len(sliced["bare_rates"]) == len(sliced["case_rates"]) == 2, name
        assert min(sliced["bare_rates"]) > 0 and min(sliced["case_rates"]) > 0, name
        assert case["ratio"] == sliced["ratio"] > 0, name
    assert f"bare insert, {database}: {2 * (len(cases) - 1)} slices" in result.stdout
    for name, case in cases.items():
        assert case["peak"]["requests"] > 0, name
        assert isinstance(case["peak"]["p99_ms"], float) and isinstance(case["ratio"], float)
        assert case["paced"]["requests"] > 0, name  # the open-loop run at half the peak
        assert isinstance(case["paced"]["p99_ms"], float), name
        assert isinstance(case["paced"]["client_cpu_share"], float), name
        cpu = case["cpu_ms_per_request"]  # where the time went: the app, the database
        assert cpu["server_ms"] > 0, name
        assert (cpu["database_ms"] > 0) if database == "postgresql" else \
            (cpu["database_ms"] is None), name
    if database == "postgresql":  # the same cases with 8 workers, beside the 2-worker runs
        more = found["databases"][database]["workers_8"]
        assert list(more) == ["bare insert (baseline)", "referral create",
                              "inbox, first page of 20"]
        for name, case in more.items():
            assert case["peak"]["requests"] > 0, name
            assert isinstance(case["vs_2_workers"], float), name
            assert isinstance(case["lock_wait_share"], float), name
            assert name == "bare insert (baseline)" or case["interleaved"]["ratio"] > 0, name
        assert "| postgresql | referral create | " in result.stdout.split("8 workers req/s")[1]
    assert len(found["databases"][database]["consent_decisions_per_s"]) == 3
    assert found["audit_seal"][database]["entries"] == 300
    assert "| bare insert (baseline) |" in result.stdout


@pytest.mark.skipif(os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") != "postgresql",
                    reason="the scale bench copies rows into PostgreSQL")
def test_the_scale_bench_produces_numbers_and_plans(tmp_path):
    env = {**os.environ, "BENCH_SECONDS": "1", "BENCH_SCALE_ROUNDS": "1",
           "BENCH_SCALE_SUBJECTS": "30", "BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bench.data_scale", "2000", "4000"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    found = json.loads((tmp_path / "scale.json").read_text())
    from bench.scale_inbox import CASES

    assert list(found["sizes"]) == ["2000", "4000"]
    for size in found["sizes"].values():
        assert list(size["cases"]) == list(CASES)
        assert all(len(case["runs"]) == 1 for case in size["cases"].values())
        for name, plan in size["plans"].items():
            assert plan["items_on_page"] > 0, name
            (statement,) = plan["statements"]
            expected = "ix_referrals_inbox_deadline" if "deadline" in name else \
                "ix_referrals_inbox"
            assert statement["indexes"] == [expected] and not statement["sorts_in_memory"], name
    assert "| first page, newest |" in result.stdout
