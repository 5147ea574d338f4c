"""Guardrails over real HTTP against the sandbox (docs/contract.md §10): limits, change
windows at apply time (LEADERCTL_NOW sets the instant), and the follower-removal budget."""
from __future__ import annotations

import json

from e2e_kit import config_text, leader_yaml

# 2026-12-07 is a Monday
IN_DAILY = "2026-12-08T07:30:00Z"  # Tuesday, inside "0 7 * * *" for 1h
OUTSIDE = "2026-12-08T12:00:00Z"

POLICY = """\
version: 1
policy:
  limits:
    settings.profit_sharing.rate: {max: "0.12"}
  windows:
    - kind: deny
      schedule: "0 7 * * *"
      duration: 1h
      paths: [settings.profit_sharing]
      leaders: ["desk-*"]
"""


def setup(exchange, policy: str = POLICY, *leaders: str):
    for name in ("desk-a", "other"):
        exchange.account(name)
    exchange.write(config_text(*(leaders or (leader_yaml("desk-a", rate="0.1"), leader_yaml("other", rate="0.1")))))
    exchange.write(policy, "policy.yaml")
    return exchange.tmp


def test_a_leader_value_above_a_limit_is_a_validate_error_and_plan_sends_nothing(exchange):
    cfg = setup(exchange, POLICY, leader_yaml("desk-a", rate="0.15"), leader_yaml("other"))
    r = exchange.run("validate", cfg)
    assert r.exit_code == 1
    assert r.stderr.strip() == (f"{cfg}/leaders.yaml:11:15: leaders.desk-a.settings.profit_sharing.rate: "
                                f"0.15 is above the policy's max 0.12 ({cfg}/policy.yaml:4:5)")
    before = len(exchange.sb.requests)
    r = exchange.run("plan", cfg)
    assert r.exit_code == 1 and "above the policy's max 0.12" in r.stderr and len(exchange.sb.requests) == before


def test_a_profile_value_above_a_limit_is_located_in_the_profile_and_an_ignored_path_is_not_checked(exchange):
    exchange.account("desk-a")
    exchange.write(POLICY, "policy.yaml")
    leader = leader_yaml("desk-a").replace('      profit_sharing:\n        period: weekly\n        rate: "0.08"\n', "")
    exchange.write("version: 1\nprofiles:\n  high:\n    settings:\n      profit_sharing: {period: weekly, rate: \"0.2\"}\n"
                   "leaders:\n" + leader.replace("  desk-a:\n", "  desk-a:\n    extends: high\n"))
    r = exchange.run("validate", exchange.tmp)
    assert r.exit_code == 1 and r.stderr.startswith(f"{exchange.tmp}/leaders.yaml:5:46: profiles.high.settings.profit_sharing.rate: 0.2 is above")
    text = (exchange.tmp / "leaders.yaml").read_text().replace("    extends: high\n", "    extends: high\n    ignore: [settings.profit_sharing]\n")
    exchange.write(text)
    assert exchange.run("validate", exchange.tmp).exit_code == 0
    assert exchange.run("plan", exchange.tmp).exit_code == 0


def test_bad_limits_are_located_errors_and_nothing_is_read(exchange):
    cfg = setup(exchange, POLICY.replace('{max: "0.12"}', '{min: "0.2", max: "0.12"}'))
    r = exchange.run("plan", cfg)
    assert r.exit_code == 1 and r.stderr.strip() == f"{cfg}/policy.yaml:4:41: policy.limits.settings.profit_sharing.rate.min: min 0.2 is above max 0.12: swap them or fix one"
    assert exchange.sb.requests == [] or all(r.method == "GET" and "time" in r.path for r in exchange.sb.requests)


def test_deny_active_holds_the_leader_it_governs_and_writes_the_others(exchange, monkeypatch):
    cfg = setup(exchange)
    monkeypatch.setenv("LEADERCTL_NOW", IN_DAILY)
    plan = json.loads(exchange.run("plan", "--format", "json", cfg).stdout)
    by = {lp["name"]: lp for lp in plan["leaders"]}
    assert by["desk-a"]["status"] == "changes" and by["desk-a"]["held"] == {"until": "2026-12-08T08:00:00Z", "window": 0}
    assert "held" not in by["other"]  # the pattern desk-* does not match it
    text = exchange.run("plan", cfg).stdout
    assert 'held until 2026-12-08T08:00:00Z by policy windows[0] (deny "0 7 * * *" for 1h)' in text
    assert "Plan: 2 leaders with changes, 0 in sync, 0 blocked, 0 errors. 1 held by the policy's windows (apply writes nothing for them now)." in text
    markdown = exchange.run("plan", "--format", "markdown", cfg).stdout
    assert "held until 2026-12-08T08:00:00Z" in markdown and " · 🕒 1 held by the policy's windows · " in markdown
    r = exchange.run("apply", "--auto-approve", "--format", "json", cfg)
    assert r.exit_code == 3  # other applied, desk-a held
    report = {lp["name"]: lp for lp in json.loads(r.stdout)["leaders"]}
    assert report["desk-a"]["result"] == "held" and report["other"]["result"] == "applied"
    assert [p.path.rsplit("?")[0] for p in exchange.puts()] and exchange.config("desk-a")["profitRate"] == "0.08"
    assert exchange.config("other")["profitRate"] == "0.1"


def test_only_held_leaders_exit_1_with_nothing_written_and_ignore_windows_writes_saying_so(exchange, monkeypatch):
    cfg = setup(exchange, POLICY.replace('leaders: ["desk-*"]', 'leaders: ["*"]'))
    monkeypatch.setenv("LEADERCTL_NOW", IN_DAILY)
    r = exchange.run("apply", "--auto-approve", cfg)
    assert r.exit_code == 1 and exchange.writes() == []
    assert "leader desk-a: held" in r.stdout and "Apply: 0 applied, 0 in sync, 0 partial, 0 failed, 0 blocked, 2 held." in r.stdout
    r = exchange.run("apply", "--auto-approve", "--ignore-windows", cfg)
    assert r.exit_code == 0, r.stdout
    assert "windows ignored (--ignore-windows): written although held until 2026-12-08T08:00:00Z" in r.stdout
    assert "Windows ignored (--ignore-windows)." in r.stdout
    assert exchange.config("desk-a")["profitRate"] == "0.1"


def test_outside_the_deny_window_apply_writes(exchange, monkeypatch):
    cfg = setup(exchange)
    monkeypatch.setenv("LEADERCTL_NOW", OUTSIDE)
    r = exchange.run("apply", "--auto-approve", cfg)
    assert r.exit_code == 0 and "held" not in r.stdout


def test_an_inactive_allow_window_holds_until_it_opens(exchange, monkeypatch):
    policy = 'version: 1\npolicy:\n  windows:\n    - {kind: allow, schedule: "0 9 * * 1-5", duration: 8h}\n'
    cfg = setup(exchange, policy)
    monkeypatch.setenv("LEADERCTL_NOW", "2026-12-05T12:00:00Z")  # a Saturday
    plan = json.loads(exchange.run("plan", "--format", "json", cfg).stdout)
    assert [lp["held"] for lp in plan["leaders"]] == [{"until": "2026-12-07T09:00:00Z", "window": 0}] * 2
    assert exchange.run("apply", "--auto-approve", cfg).exit_code == 1 and exchange.writes() == []
    monkeypatch.setenv("LEADERCTL_NOW", "2026-12-07T16:59:00Z")
    assert exchange.run("apply", "--auto-approve", cfg).exit_code == 0


def test_a_followers_window_holds_follower_removals_of_a_leader_in_sync(exchange, monkeypatch):
    policy = 'version: 1\npolicy:\n  windows:\n    - {kind: deny, schedule: "0 22 * * *", duration: 10h, paths: [followers]}\n'
    cfg = setup(exchange, policy, leader_yaml("desk-a", extra="followers:\n  remove: [123]\n"), leader_yaml("other", rate="0.1"))
    monkeypatch.setenv("LEADERCTL_NOW", "2026-12-08T03:00:00Z")  # across midnight
    r = exchange.run("apply", "--auto-approve", "--format", "json", cfg)
    report = {lp["name"]: lp for lp in json.loads(r.stdout)["leaders"]}
    assert report["desk-a"]["status"] == "in_sync" and report["desk-a"]["held"] == {"until": "2026-12-08T08:00:00Z", "window": 0}
    assert report["desk-a"]["result"] == "held" and report["other"]["result"] == "applied"  # its settings: not governed
    assert r.exit_code == 3 and not [w for w in exchange.writes() if w.method == "DELETE"]


def test_the_removal_budget_replaces_the_built_in_10(exchange):
    ids = ", ".join(str(100 + i) for i in range(4))
    cfg = setup(exchange, "version: 1\npolicy:\n  max_follower_removals: 3\n",
                leader_yaml("desk-a", extra=f"followers:\n  remove: [{ids}]\n"), leader_yaml("other"))
    r = exchange.run("apply", "--auto-approve", cfg)
    assert r.exit_code == 1 and exchange.writes() == []
    assert ("more than 3 followers to remove for desk-a (the policy's max_follower_removals, "
            f"{cfg}/policy.yaml:2:1): pass --force to confirm (nothing was written)") in r.stderr
    r = exchange.run("apply", "--auto-approve", "--force", cfg)
    assert r.exit_code == 0, r.stdout
    assert len([w for w in exchange.writes() if w.method == "DELETE"]) == 4


def test_a_bad_now_is_a_clear_error(exchange, monkeypatch):
    cfg = setup(exchange)
    monkeypatch.setenv("LEADERCTL_NOW", "tomorrow")
    r = exchange.run("plan", cfg)
    assert r.exit_code == 1 and "LEADERCTL_NOW='tomorrow' is not an RFC 3339 time" in r.stderr


def test_a_saved_plan_made_while_held_applies_once_the_window_is_over(exchange, monkeypatch):
    cfg = setup(exchange)
    monkeypatch.setenv("LEADERCTL_NOW", IN_DAILY)
    assert exchange.run("plan", "--out", exchange.tmp / "p.json", cfg).exit_code == 0
    monkeypatch.setenv("LEADERCTL_NOW", OUTSIDE)
    r = exchange.run("apply", "--auto-approve", "--plan", exchange.tmp / "p.json")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_a_window_that_opens_after_the_plan_was_made_holds_the_write(exchange, monkeypatch):
    """Windows are asked again just before each leader's first write: apply may wait at its
    prompt (or its queue) past a window's start; the plan's 06:59 is not the write's 07:30."""
    from datetime import datetime, timezone

    from reconciler import windows

    cfg = setup(exchange)
    instants = iter([datetime(2026, 12, 8, 6, 59, tzinfo=timezone.utc)])
    monkeypatch.setattr(windows, "now", lambda: next(instants, datetime(2026, 12, 8, 7, 30, tzinfo=timezone.utc)))
    r = exchange.run("apply", "--auto-approve", "--format", "json", cfg)
    assert r.exit_code == 3, r.stdout  # other applied, desk-a held at write time
    report = {lp["name"]: lp for lp in json.loads(r.stdout)["leaders"]}
    assert report["desk-a"]["result"] == "held" and report["other"]["result"] == "applied"
    assert report["desk-a"]["held"] == {"until": "2026-12-08T08:00:00Z", "window": 0}
    assert len(exchange.puts()) == 1 and exchange.config("desk-a")["profitRate"] == "0.08"  # only other's PUT
    assert exchange.config("other")["profitRate"] == "0.1"
