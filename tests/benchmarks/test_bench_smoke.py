"""The benchmark script runs end to end on a tiny setting and writes its JSON.

Benchmarks are not tests: nothing here looks at a wall time, only at the shape of
the results and at the request counts, which do not depend on the machine.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"


def test_benchmark_script_runs_small_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "2", "--runs", "1", "--latency", "0.005",
         "--startup-runs", "1", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())

    assert {"machine", "settings", "plan", "apply", "requests_per_leader", "memory", "startup"} <= results.keys()
    assert {"cpu", "cores", "python"} <= results["machine"].keys()
    assert results["settings"]["sizes"] == [2] and results["settings"]["runs"] == 1

    (row,) = results["plan"]
    assert row["leaders"] == 2 and row["runs"] == 1
    for key in ("lower_bound_s", "bound_set_by", "wall_s", "ratio", "planner_s", "requests_sent", "http_429", "peak_rss_mib"):
        assert key in row
    assert row["requests_sent"] == 2 and row["http_429"] == 0  # one GET config per leader in sync
    assert row["lower_bound_s"] > 0 and row["wall_s"] > 0

    assert results["requests_per_leader"] == {"plan": 1, "apply_changes": 4, "apply_in_sync": 1, "plan_minimum": 1}
    assert results["memory"]["leaders"] == 2
    assert [r["command"] for r in results["startup"]] == [
        "leaderctl --help", "leaderctl validate examples/", "leaderctl plan --sandbox examples/",
    ]
    assert all(r["median_s"] > 0 and r["ratio_to_bare"] > 0 for r in results["startup"])
    assert results["startup_bare"]["command"] == "python -c pass" and results["startup_bare"]["median_s"] > 0
    assert "x bare interpreter" in done.stdout
    assert "| leaders |" in done.stdout  # the table


def test_lower_bound_is_latency_path_within_the_budget_and_one_window_beyond():
    spec = importlib.util.spec_from_file_location("leaderctl_benchmarks_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lower_bound = module.lower_bound

    small = lower_bound(500, 0.05, 8)  # 500 requests: the whole budget may go at once
    assert small["bound_set_by"] == "latency" and small["lower_bound_s"] == pytest.approx(63 * 0.05)
    big = lower_bound(1500, 0.05, 8)  # 1500 requests: one full window, then 300 at 8 in flight
    assert big["bound_set_by"] == "weight budget" and big["lower_bound_s"] == pytest.approx(60 + 38 * 0.05)
    assert big["steady_rate_s"] == 75
