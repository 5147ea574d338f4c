"""`show` and `sandbox` commands, and the CLI's handling of bad options."""
from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.seed import seed_account

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_show_followers_all_prints_every_seeded_follower(in_tmp):
    r = run("--sandbox", "show", "followers", "--all", "-c", EXAMPLES, "--leader", "desk-btc", "--format", "json")
    assert r.exit_code == 0, r.output
    shown = [f["followerNickname"] for f in json.loads(r.stdout)]
    seeded = [f["followerNickname"] for f in seed_account("desk-btc")["followers"]]
    assert len(seeded) > 10  # several pages
    assert shown == seeded
    first_page = run("--sandbox", "show", "followers", "-c", EXAMPLES, "--leader", "desk-btc")
    assert first_page.exit_code == 0 and f"of {len(seeded)}" in first_page.stdout


@pytest.mark.parametrize("what", ["config", "symbols", "orders", "order-history", "trade-data", "profit-sharing"])
def test_every_show_report_works_against_the_sandbox(in_tmp, what):
    r = run("--sandbox", "show", what, "-c", EXAMPLES, "--leader", "eth-desk")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip()
    r = run("show", what, "-c", EXAMPLES, "--leader", "eth-desk", "--sandbox", "--format", "json")
    assert r.exit_code == 0
    json.loads(r.stdout)


def test_show_config_hides_the_invite_code(in_tmp):
    run("--sandbox", "apply", "--auto-approve", EXAMPLES / "desks" / "alt-desks.yaml")
    r = run("--sandbox", "show", "config", "-c", EXAMPLES, "--leader", "alt-private")
    assert r.exit_code == 0 and "ALTPRV26" not in r.stdout and "(sensitive)" in r.stdout


def test_bad_period_is_refused_before_any_request(in_tmp):
    r = subprocess.run(
        [sys.executable, "-m", "reconciler", "show", "trade-data", "--period", "14", "-c", str(EXAMPLES), "--leader", "eth-desk",
         "--endpoint", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 1 and "--period" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_1_not_2(in_tmp):
    r = subprocess.run([sys.executable, "-m", "reconciler", "plan", "--no-such-option", "x"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1


def test_plain_http_to_a_remote_host_is_refused(in_tmp, monkeypatch):
    monkeypatch.setenv("LEADERCTL_ETH_DESK_API_KEY", "k" * 64)
    monkeypatch.setenv("LEADERCTL_ETH_DESK_API_SECRET", "s" * 64)
    r = run("plan", "--endpoint", "http://example.com", EXAMPLES / "desks" / "eth-desk.yaml")
    assert r.exit_code == 1
    assert "http" in r.stderr.lower()


def test_missing_credentials_is_a_leader_error(in_tmp, monkeypatch):
    monkeypatch.delenv("LEADERCTL_ETH_DESK_API_KEY", raising=False)
    r = run("plan", "--format", "json", "--endpoint", "http://127.0.0.1:9", EXAMPLES / "desks" / "eth-desk.yaml")
    assert r.exit_code == 1
    (lp,) = json.loads(r.stdout)["leaders"]
    assert lp["status"] == "error" and "LEADERCTL_ETH_DESK_API_KEY" in lp["problems"][0]["message"]


def test_standalone_sandbox_prints_credentials_that_work(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--state", str(tmp_path / "s.json"), "-c", str(EXAMPLES / "desks")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        exports = {}
        while len(exports) < 7:  # endpoint + key and secret of 3 leaders
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if line.startswith("export "):
                key, _, value = line[len("export "):].strip().partition("=")
                exports[key] = value
        assert exports["LEADERCTL_ENDPOINT"].startswith("http://127.0.0.1:")
        assert "LEADERCTL_ALT_PRIVATE_API_SECRET" in exports
        r = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", str(EXAMPLES / "desks")],
            capture_output=True, text=True, env={**env, **exports}, cwd=tmp_path, timeout=60,
        )
        assert r.returncode == 0, r.stderr
        assert "leader eth-desk:" in r.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_common_options_work_before_the_command_too(in_tmp):
    before = run("--format", "json", "--sandbox", "--leader", "eth-desk", "plan", EXAMPLES)
    after = run("plan", EXAMPLES, "--format", "json", "--sandbox", "--leader", "eth-desk")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert [lp["name"] for lp in json.loads(before.stdout)["leaders"]] == ["eth-desk"]
    # the command's own option wins over the one given before it
    text = run("--format", "json", "--sandbox", "plan", EXAMPLES / "desks" / "eth-desk.yaml", "--format", "text")
    assert text.stdout.startswith("leader eth-desk:")


def test_plan_with_a_bad_config_annotates_it_in_github_actions(in_tmp, monkeypatch):
    bad = in_tmp / "bad.yaml"
    bad.write_text("version: 1\nleaders:\n  desk:\n    settings: {}\n    symbols: []\n")
    summary = in_tmp / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = run("plan", "--sandbox", bad)
    assert r.exit_code == 1
    assert "::error file=" in r.stderr and ",line=4," in r.stderr
    assert "plan failed" in summary.read_text()


def test_show_speaks_the_configs_words_and_json_keeps_the_apis(in_tmp):
    r = run("--sandbox", "show", "config", "-c", EXAMPLES, "--leader", "eth-desk")
    assert r.exit_code == 0, r.output
    rows = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()}
    assert rows["settings.position_type"] == ["cross", "leadPositionType"]  # not `leadPositionType 0`
    assert rows["settings.trade_protection"] == ["true", "tradeProtect"]
    assert rows["settings.profit_sharing.period"] == ["weekly", "profitPeriod"]
    assert rows["symbols"][-1] == "symbolIds"
    history = run("--sandbox", "show", "order-history", "-c", EXAMPLES, "--leader", "eth-desk").stdout
    first = history.splitlines()[2].split()
    assert first[1] in ("long", "short") and first[2] in ("cross", "isolated") and "closed" in history
    assert re.search(r"  20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$", history.splitlines()[2]), history  # RFC 3339, not epoch millis
    assert not re.search(r"\b1[78]\d{11}\b", history)
    assert "3 pages" in history and "page(s)" not in history
    as_json = json.loads(run("--sandbox", "show", "order-history", "-c", EXAMPLES, "--leader", "eth-desk", "--format", "json").stdout)
    row = as_json["list"][0]
    assert row["isLong"] in (0, 1) and row["status"] in (1, 2) and str(row["closeTime"]).isdigit()  # the API's names and values
    config = json.loads(run("--sandbox", "show", "config", "-c", EXAMPLES, "--leader", "eth-desk", "--format", "json").stdout)
    assert config["leadPositionType"] == 0
