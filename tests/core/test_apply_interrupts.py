"""Ctrl-C and SIGTERM on a real `leaderctl` process against the real sandbox with
latency (CONTRACT §6): no new write starts, writes in flight are settled, the
report covers every leader, a rerun converges; a second Ctrl-C exits at once."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from e2e_kit import drifted_leaders, subprocess_env

from reconciler.sandbox import Fault, Sandbox

NAMES = ("a", "b", "c")
PUT = "/api/v2/copy-trading/leader/config"


@pytest.fixture
def world(tmp_path):
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        env = subprocess_env(sb, tmp_path)
        yield sb, env, drifted_leaders(sb, env, tmp_path / "leaders.yaml", NAMES)


def start(env, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def written(sb):
    return [r for r in sb.requests if r.method == "PUT"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_signal_after_the_first_put_stops_new_writes_and_reports_every_leader(world, sig, fmt):
    sb, env, path = world
    # every config request takes 0.6 s, so the signal lands while a's read-back is in flight
    sb.inject(Fault(path_prefix=PUT, kind="latency", delay=0.6, times=None))
    proc = start(env, "apply", "--auto-approve", "--parallelism", "1", "--format", fmt, path)
    wait_for(lambda: written(sb))  # leader a's PUT has been answered: it is reading back now
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)  # something was written
    assert [r.account for r in written(sb)] == ["a"]  # no new write started after the signal
    assert sb.account_state("a")["config"]["profitRate"] == "0.1"
    assert all(sb.account_state(n)["config"]["profitRate"] == "0.05" for n in ("b", "c"))
    assert "stopping: no new write will start" in err
    if fmt == "json":
        doc = json.loads(out)
        assert {lp["name"]: lp["result"] for lp in doc["leaders"]} == {"a": "applied", "b": "not_started", "c": "not_started"}
        assert doc["interrupted"] is True
    else:
        assert "leader a: applied" in out and "leader b: not started" in out and "leader c: not started" in out

    sb.clear_faults()
    rerun = start(env, "apply", "--auto-approve", path)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, (out, err)
    assert all(sb.account_state(n)["config"]["profitRate"] == "0.1" for n in NAMES)


def test_a_second_sigint_exits_at_once_naming_the_write_in_flight(world):
    sb, env, path = world
    sb.inject(Fault(method="PUT", path_prefix=PUT, kind="latency", delay=0.1, times=1))
    sb.inject(Fault(method="PUT", path_prefix=PUT, kind="latency", delay=20, times=None))
    proc = start(env, "apply", "--auto-approve", "--parallelism", "1", path)
    # a's PUT answered, a's read-back answered: b's PUT is on its way (and takes 20 s)
    wait_for(lambda: written(sb) and sum(r.method == "GET" for r in sb.requests) >= len(NAMES) + 1)
    time.sleep(0.5)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert time.monotonic() - began < 10  # at once, not after the 20 s PUT
    assert proc.returncode == 3
    assert "outcome unknown for: leader b: PUT config" in err


def test_plan_stops_promptly_on_ctrl_c(world):
    sb, env, path = world
    sb.inject(Fault(method="GET", kind="latency", delay=20, times=None))
    proc = start(env, "plan", path)
    wait_for(lambda: proc.poll() is None and time.sleep(0.8) is None)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert time.monotonic() - began < 5
    assert proc.returncode == 1 and "interrupted" in err and "nothing was written" in err
    assert written(sb) == []
