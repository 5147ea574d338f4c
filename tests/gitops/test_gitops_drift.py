"""`leaderctl drift` against the embedded sandbox: exit codes, step summaries and
GitHub annotations. Each test has its own working directory, so its own
`.leaderctl/sandbox.json`."""
from __future__ import annotations

import json

from gitops_testkit import applied

CFG = "examples/"
BTC = "examples/desk-btc.yaml"
ALT = "examples/desks/alt-desks.yaml"



def test_fresh_sandbox_drifts_apply_converges_and_a_change_behind_the_back_drifts_again(ws):
    r = ws.leaderctl("drift", "--sandbox", CFG)
    assert r.code == 2, r.output
    for name in ("desk-btc", "alt-private", "alt-public", "eth-desk"):
        assert f"leader {name}:" in r.stdout

    applied(ws)
    r = ws.leaderctl("drift", "--sandbox", CFG)
    assert r.code == 0, r.output
    assert "7 in sync" in r.stdout

    ws.edit_live_config("desk-btc", profitRate="0.25")
    r = ws.leaderctl("drift", "--sandbox", "--format", "json", CFG)
    assert r.code == 2, r.output
    report = json.loads(r.stdout)
    status = {lp["name"]: lp["status"] for lp in report["leaders"]}
    assert status == {"desk-btc": "changes", "alt-private": "in_sync", "alt-public": "in_sync", "eth-desk": "in_sync",
                      "fleet-a": "in_sync", "fleet-b": "in_sync", "fleet-c": "in_sync"}
    (change,) = report["leaders"][0]["changes"]
    assert change == {"path": "settings.profit_sharing.rate", "field": "profitRate", "action": "update", "before": "0.25", "after": "0.1"}

    # equal by value is not drift
    ws.edit_live_config("desk-btc", profitRate="0.100")
    assert ws.leaderctl("drift", "--sandbox", CFG).code == 0


def test_leader_option_limits_the_check(ws):
    applied(ws)
    ws.edit_live_config("eth-desk", tradeProtect=1)
    assert ws.leaderctl("drift", "--sandbox", "--leader", "desk-btc", CFG).code == 0
    r = ws.leaderctl("drift", "--sandbox", "--leader", "eth-desk", CFG)
    assert r.code == 2 and "settings.trade_protection" in r.stdout
    # an unknown leader is a usage error: 1, never 2 ("drift")
    r = ws.leaderctl("drift", "--sandbox", "--leader", "nope", CFG)
    assert r.code == 1 and "nope" in r.stderr


def test_blocked_leader_is_an_error_even_when_others_drift(ws):
    ws.replace_in(ALT, "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    r = ws.leaderctl("drift", "--sandbox", CFG)  # fresh sandbox: three leaders drift, one is blocked
    assert r.code == 1, r.output
    assert "leader alt-public: BLOCKED" in r.stdout and "FOO-SWAP-USDT" in r.stdout

    r = ws.leaderctl("apply", "--sandbox", "--auto-approve", CFG)
    assert r.code == 3, r.output  # partial: the other three were applied
    r = ws.leaderctl("drift", "--sandbox", CFG)
    assert r.code == 1, r.output


def test_invalid_config_exits_1_with_located_errors(ws):
    (ws.root / "bad.yaml").write_text("version: 1\nleaders:\n  desk-x:\n    settings: {position_type: diagonal}\n    symbols: []\n")
    r = ws.leaderctl("drift", "--sandbox", "bad.yaml")
    assert r.code == 1, r.output
    assert "bad.yaml:4:" in r.stderr
    r = ws.leaderctl("drift", "--sandbox", "missing-dir/")
    assert r.code == 1 and "missing-dir" in r.stderr


def test_missing_credentials_are_an_error_naming_the_variable(ws):
    # no --sandbox: the real keys are read from the environment, and none is set
    r = ws.leaderctl("drift", "--endpoint", "http://127.0.0.1:9", CFG)
    assert r.code == 1, r.output
    assert "DESK_BTC_API_KEY" in r.output and "LEADERCTL_ETH_DESK_API_KEY" in r.output


def test_step_summary_gets_the_markdown_of_plan_apply_and_drift(ws):
    summary = ws.root / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert ws.leaderctl("plan", "--sandbox", CFG, env=env).code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("<!-- leaderctl-plan -->\n## leaderctl plan")
    assert "<summary><code>desk-btc</code> · " in text

    assert ws.leaderctl("apply", "--sandbox", "--auto-approve", CFG, env=env).code == 0
    ws.edit_live_config("alt-public", fixedRateFollowMin="7")
    assert ws.leaderctl("drift", "--sandbox", CFG, env=env).code == 2
    text = summary.read_text(encoding="utf-8")
    plan_at, apply_at, drift_at = (text.index(f"## leaderctl {c}") for c in ("plan", "apply", "drift"))
    assert plan_at < apply_at < drift_at
    assert "| `desk-btc` | ✅ applied |" in text
    drift_part = text[drift_at:]
    assert "<summary><code>alt-public</code> · 1 change</summary>" in drift_part and "settings.follower_minimums.fixed_rate" in drift_part
    assert "<!-- leaderctl-drift -->" in text
    ws.assert_no_secrets(text)

    # a failed check says so in the summary too
    r = ws.leaderctl("drift", "--sandbox", "nowhere.yaml", env=env)
    assert r.code == 1
    assert "drift failed" in summary.read_text(encoding="utf-8")


def test_drift_markdown_is_titled_as_drift(ws):
    r = ws.leaderctl("drift", "--sandbox", "--format", "markdown", CFG)
    assert r.code == 2
    assert r.stdout.startswith("<!-- leaderctl-drift -->\n## leaderctl drift\n")
    assert "<!-- leaderctl-plan -->" not in r.stdout


def test_github_annotations_point_at_file_and_line(ws):
    applied(ws)
    ws.edit_live_config("desk-btc", profitRate="0.3")
    ws.replace_in(ALT, "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    rate_line = ws.line_of(BTC, 'rate: "0.1"')
    symbols_line = ws.line_of(ALT, "FOO-SWAP-USDT")

    r = ws.leaderctl("drift", "--sandbox", "--format", "json", CFG, env={"GITHUB_ACTIONS": "true"})
    assert r.code == 1, r.output
    json.loads(r.stdout)  # annotations never corrupt a machine-readable report
    errors = [line for line in r.stderr.splitlines() if line.startswith("::error ")]
    warnings = [line for line in r.stderr.splitlines() if line.startswith("::warning ")]
    assert any(line.startswith(f"::error file={ALT},line={symbols_line},") and "FOO-SWAP-USDT" in line for line in errors), r.stderr
    assert any(
        line.startswith(f"::warning file={BTC},line={rate_line},") and "settings.profit_sharing.rate" in line for line in warnings
    ), r.stderr

    # outside GitHub Actions: no workflow commands at all
    r = ws.leaderctl("drift", "--sandbox", CFG)
    assert "::error" not in r.output and "::warning" not in r.output

    # plan's markdown (the PR comment) stays clean inside Actions
    r = ws.leaderctl("plan", "--sandbox", "--format", "markdown", CFG, env={"GITHUB_ACTIONS": "true"})
    assert r.code == 1
    assert not [line for line in r.stdout.splitlines() if line.startswith("::")]  # the comment body has no workflow commands
    assert f"::error file={ALT},line={symbols_line}," in r.stderr


def test_config_errors_are_annotated_in_github_actions(ws):
    (ws.root / "bad.yaml").write_text("version: 1\nleaders:\n  desk-x:\n    settings: {position_type: diagonal}\n    symbols: []\n")
    r = ws.leaderctl("drift", "--sandbox", "bad.yaml", env={"GITHUB_ACTIONS": "true"})
    assert r.code == 1
    assert any(line.startswith("::error file=bad.yaml,line=4,") for line in r.stderr.splitlines()), r.stderr


def test_drift_is_worded_as_drift_and_follower_removals_are_not_drift(ws):
    applied(ws)  # desk-btc's config removes follower 100000027 on every apply
    summary = ws.root / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    r = ws.leaderctl("drift", "--sandbox", CFG, env=env)
    assert r.code == 0, r.output
    assert "leader desk-btc: no drift" in r.stdout and "No drift: 7 in sync, 0 blocked, 0 errors." in r.stdout
    assert "follower" not in r.stdout and "100000027" not in r.stdout
    assert "**No drift** · ✅ 7 in sync" in summary.read_text(encoding="utf-8")

    ws.edit_live_config("desk-btc", profitRate="0.08")
    r = ws.leaderctl("drift", "--sandbox", CFG, env=env)
    assert r.code == 2, r.output
    assert ('leader desk-btc: drifted (1 change)\n  ~ settings.profit_sharing.rate (profitRate) changed outside the config: '
            'the exchange has "0.08", the config says "0.1"') in r.stdout
    assert r.stdout.endswith("Drift: 1 leader drifted: 6 in sync, 0 blocked, 0 errors.\n")
    assert "follower" not in r.stdout and "(s)" not in r.stdout
    drift_part = summary.read_text(encoding="utf-8").rsplit("## leaderctl drift", 1)[1]
    assert "**Drift: 1 leader drifted** (1 change) · ✅ 6 in sync" in drift_part
    assert 'changed outside the config: the exchange has "0.08", the config says "0.1"' in drift_part
    assert "follower" not in drift_part
    md = ws.leaderctl("drift", "--sandbox", "--format", "markdown", CFG).stdout
    assert "### Drifted" in md and "100000027" not in md
