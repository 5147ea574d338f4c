"""The budget learnt from exchangeInfo is used and never exceeded: against a sandbox that
publishes 3000 weight/minute, a 500-leader apply (one PUT per leader, over 1200 requests)
finishes with no 429 well within the minute a 1200 budget would have had to wait."""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from e2e_kit import config_text, leader_yaml

from reconciler.cli import cli
from reconciler.config import default_env
from reconciler.sandbox import Sandbox

pytestmark = pytest.mark.slow  # 2,000 requests: about 20 s on 2 cores
N = 500


def test_a_500_leader_apply_at_3000_has_no_429_and_beats_the_1200_budget(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADERCTL_WEIGHT_PER_MINUTE", raising=False)
    names = [f"desk-{i:03d}" for i in range(N)]
    with Sandbox(state_path=None, weight_per_minute=3000) as sb:
        monkeypatch.setenv("LEADERCTL_ENDPOINT", sb.url)
        for name in names:
            acct = sb.ensure_account(name)
            monkeypatch.setenv(default_env(name, "API_KEY"), acct.api_key)
            monkeypatch.setenv(default_env(name, "API_SECRET"), acct.api_secret)
            state = sb.account_state(name)
            state["orders_current"] = []
        path = tmp_path / "leaders.yaml"
        path.write_text(config_text(*(leader_yaml(n, rate="0.11") for n in names)))
        started = time.monotonic()
        r = CliRunner().invoke(cli, ["apply", "-v", "--auto-approve", "--format", "json", "--parallelism", "16", str(path)],
                               catch_exceptions=False)
        took = time.monotonic() - started
        records = sb.requests
    assert r.exit_code == 0, r.stderr[-2000:]
    assert "weight budget 3000 per minute" in r.stderr
    assert len(records) > 1200  # at 1200 per minute, the 1201st would wait for the window
    assert [rec.http_status for rec in records if rec.http_status in (418, 429)] == []
    assert sum(1 for rec in records if rec.method == "PUT") == N
    assert took < 60, took  # a 1200 budget needs at least 60 s for this many requests
