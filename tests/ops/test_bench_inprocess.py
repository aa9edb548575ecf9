"""The in-process bench stays runnable: every case gives a CPU figure (never asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_every_case_runs_in_process(database_url):
    from bench.__main__ import CASES

    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    env = {**os.environ, "BENCH_REFERRALS": "4", "BENCH_DATABASES": database}
    result = subprocess.run([sys.executable, "-m", "bench.inprocess", "-n", "3"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for case in CASES:
        assert re.search(rf"^{database}\s+{re.escape(case.name)}\s+[\d,]+ req/s\s+[\d.]+ ms CPU",
                         result.stdout, re.MULTILINE), (case.name, result.stdout)
