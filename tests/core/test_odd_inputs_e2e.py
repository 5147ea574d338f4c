"""CONTRACT §9, odd inputs: a config path that is neither a regular file nor a directory is a
located error (never a hang), and `extends` chains of any depth work or give a located error
(never "internal error: RecursionError"). The CLI in a process of its own, against the
sandbox over real HTTP, with a deadline (so a hang fails the test instead of holding it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

LEADER_SETTINGS = """\
    settings:
      cooldown: {enabled: false}
      position_type: cross
      trade_protection: true
      profit_sharing: {period: weekly, rate: "0.1"}
      follower_minimums: {asset: "50", fixed_amount: "5", fixed_rate: "5"}
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
"""


def leaderctl(exchange, *args, timeout=120):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "reconciler", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=exchange.tmp, timeout=timeout, stdin=subprocess.DEVNULL)


def chain(depth: int, *, cycle: bool = False) -> str:
    """A leader extending p0, which extends p1, ... p{depth-1}, which holds the settings."""
    lines = ["version: 1", "profiles:"] + [f"  p{i}: {{extends: p{i + 1}}}" for i in range(depth - 1)]
    lines.append(f"  p{depth - 1}:" + ("\n    extends: p0" if cycle else ""))
    return "\n".join(lines) + "\n" + LEADER_SETTINGS + "leaders:\n  desk: {extends: p0}\n"


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_fifo_as_the_config_path_is_a_located_error(exchange, command):
    fifo = exchange.tmp / "leaders.yaml"
    os.mkfifo(fifo)
    args = [command, fifo] + (["--auto-approve"] if command == "apply" else [])
    r = leaderctl(exchange, *args, timeout=30)
    assert r.returncode == 1, r.stderr
    assert f"{fifo}: not a regular file but a FIFO (named pipe)" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert exchange.sb.requests == []


def test_a_fifo_in_a_config_directory_is_a_located_error(exchange):
    folder = exchange.tmp / "leaders"
    folder.mkdir()
    (folder / "a.yaml").write_text(config_text(leader_yaml("desk")))
    os.mkfifo(folder / "b.yaml")
    r = leaderctl(exchange, "plan", folder, timeout=30)
    assert r.returncode == 1 and f"{folder / 'b.yaml'}: not a regular file" in r.stderr, r.stderr
    assert exchange.sb.requests == []


def test_a_fifo_as_the_saved_plan_is_refused(exchange):
    fifo = exchange.tmp / "plan.json"
    os.mkfifo(fifo)
    r = leaderctl(exchange, "apply", "--auto-approve", "--plan", fifo, timeout=30)
    assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr
    assert exchange.sb.requests == []


@pytest.mark.parametrize("depth", [1000, 10000])
def test_extends_chains_of_any_depth_plan_and_apply(exchange, depth):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(chain(depth))
    r = leaderctl(exchange, "plan", "--format", "json", path)
    assert r.returncode == 0, r.stderr[-2000:]
    (lp,) = json.loads(r.stdout)["leaders"]
    assert [c["path"] for c in lp["changes"]] == ["settings.profit_sharing.rate"]
    r = leaderctl(exchange, "apply", "--auto-approve", path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert exchange.config("desk")["profitRate"] == "0.1"


def test_a_cycle_of_ten_thousand_profiles_is_one_located_error(exchange):
    path = exchange.write(chain(10000, cycle=True))
    r = leaderctl(exchange, "plan", path)
    assert r.returncode == 1, r.stderr[-2000:]
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"{path}:") and "profiles.p9999.extends: profiles extend each other in a cycle (p0 -> p1" in line
    assert len(line) < 400 and "internal error" not in r.stderr
    assert exchange.sb.requests == []
