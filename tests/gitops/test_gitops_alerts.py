"""drift's alerts: the Slack-compatible webhook and the node-exporter textfile metrics."""
from __future__ import annotations

import json
import time

import pytest
from gitops_testkit import Receiver, applied, closed_port_url, parse_textfile, per_leader

CFG = "examples/"
LEADERS = {"desk-btc", "alt-private", "alt-public", "eth-desk", "fleet-a", "fleet-b", "fleet-c"}



# ---------------------------------------------------------------- webhook


def test_one_webhook_post_on_drift_naming_leader_and_field(ws):
    applied(ws)
    ws.edit_live_config("desk-btc", profitRate="0.2", isNeedInvite=0)
    with Receiver() as hook:
        r = ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, CFG)
    assert r.code == 2, r.output
    assert len(hook.requests) == 1
    req = hook.requests[0]
    assert req["path"] == "/services/T000/B000/hook"
    assert req["headers"].get("Content-Type", "").startswith("application/json")
    body = json.loads(req["body"])
    assert isinstance(body["text"], str)
    assert "desk-btc" in body["text"]
    assert "settings.profit_sharing.rate" in body["text"] and "settings.invite.required" in body["text"]
    for quiet in LEADERS - {"desk-btc"}:
        assert quiet not in body["text"]
    assert [lp["name"] for lp in body["leaders"]] == ["desk-btc"]
    paths = {c["path"] for c in body["leaders"][0]["changes"]}
    assert {"settings.profit_sharing.rate", "settings.invite.required"} <= paths
    assert "warning" not in r.stderr
    ws.assert_no_secrets(req["body"])


def test_fresh_sandbox_webhook_lists_every_drifted_leader_and_hides_invite_codes(ws):
    with Receiver() as hook:
        r = ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, CFG)
    assert r.code == 2
    (body,) = [json.loads(b) for b in hook.bodies]
    assert {lp["name"] for lp in body["leaders"]} == LEADERS
    for name in LEADERS:
        assert name in body["text"]
    assert "settings.invite.code" in body["text"]  # named, never shown
    ws.assert_no_secrets(*hook.bodies)


def test_no_webhook_when_in_sync(ws):
    applied(ws)
    with Receiver() as hook:
        r = ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, CFG)
    assert r.code == 0, r.output
    assert hook.requests == []


def test_webhook_still_sent_when_a_blocked_leader_makes_drift_exit_1(ws):
    applied(ws)
    ws.edit_live_config("eth-desk", profitRate="0.3")
    ws.replace_in("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    with Receiver() as hook:
        r = ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, CFG)
    assert r.code == 1, r.output
    (body,) = [json.loads(b) for b in hook.bodies]
    assert [lp["name"] for lp in body["leaders"]] == ["eth-desk"]
    assert "alt-public" in body["text"]  # reported as not checked


def test_failing_webhook_retries_once_and_never_changes_the_exit_code(ws):
    with Receiver(status=500) as hook:
        r = ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, CFG)
    assert r.code == 2, r.output
    assert len(hook.requests) == 2  # one retry
    assert "warning: drift webhook failed (HTTP 500)" in r.stderr
    assert hook.url not in r.output  # a webhook URL is a secret


@pytest.mark.parametrize("url", [closed_port_url(), "not a url", "ftp://127.0.0.1/hook"])
def test_unreachable_or_unusable_webhook_is_a_warning(ws, url):
    r = ws.leaderctl("drift", "--sandbox", "--webhook", url, CFG)
    assert r.code == 2, r.output
    assert "warning: drift webhook failed" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_webhook_timeout_is_bounded(capsys):
    from reconciler import notify
    from reconciler.model import Change, LeaderPlan, Plan

    plan = Plan([LeaderPlan("desk-btc", "changes", [Change("settings.profit_sharing.rate", "profitRate", "update", "0.2", "0.1")])])
    with Receiver(delay=2.0) as hook:
        started = time.monotonic()
        ok = notify.send_webhook(hook.url, plan, timeout=0.3, retry_delay=0.0)
        elapsed = time.monotonic() - started
    assert ok is False
    assert len(hook.requests) == 2
    assert elapsed < 1.8
    assert "warning: drift webhook failed (timed out)" in capsys.readouterr().err


def test_client_errors_are_not_retried(capsys):
    from reconciler import notify
    from reconciler.model import Change, LeaderPlan, Plan

    plan = Plan([LeaderPlan("desk-btc", "changes", [Change("symbols", "symbolIds", "add", after="SOL-SWAP-USDT")])])
    with Receiver(status=404) as hook:
        assert notify.send_webhook(hook.url, plan, retry_delay=0.0) is False
    assert len(hook.requests) == 1
    assert "HTTP 404" in capsys.readouterr().err


# ---------------------------------------------------------------- prometheus


def test_prometheus_textfile_metrics_per_leader(ws):
    prom = ws.root / "textfile" / "leaderctl.prom"
    before = time.time()
    r = ws.leaderctl("drift", "--sandbox", "--prometheus", str(prom), CFG)
    assert r.code == 2
    fams = parse_textfile(prom.read_text(encoding="utf-8"))
    for name in ("leaderctl_drift", "leaderctl_changes", "leaderctl_leader_ok", "leaderctl_last_check_timestamp_seconds", "leaderctl_check_success"):
        assert fams[name]["type"] == "gauge" and fams[name]["help"], name
    assert per_leader(fams, "leaderctl_drift") == {n: 1.0 for n in LEADERS}
    changes = per_leader(fams, "leaderctl_changes")
    assert set(changes) == LEADERS and all(v >= 1 for v in changes.values())
    assert per_leader(fams, "leaderctl_leader_ok") == {n: 1.0 for n in LEADERS}
    (stamp,) = fams["leaderctl_last_check_timestamp_seconds"]["samples"].values()
    assert before - 1 <= stamp <= time.time() + 1
    assert list(fams["leaderctl_check_success"]["samples"].values()) == [1.0]
    inode = prom.stat().st_ino

    applied(ws)
    ws.edit_live_config("alt-private", inviteScope=2)
    assert ws.leaderctl("drift", "--sandbox", "--prometheus", str(prom), CFG).code == 2
    fams = parse_textfile(prom.read_text(encoding="utf-8"))
    assert per_leader(fams, "leaderctl_drift") == {n: int(n == "alt-private") for n in LEADERS}
    assert per_leader(fams, "leaderctl_changes") == {n: int(n == "alt-private") for n in LEADERS}
    # written atomically: a new file renamed over the old one, no temporary left behind
    assert prom.stat().st_ino != inode
    assert sorted(p.name for p in prom.parent.iterdir()) == ["leaderctl.prom"]
    ws.assert_no_secrets(prom.read_text(encoding="utf-8"))


def test_prometheus_reports_a_failed_check(ws):
    prom = ws.root / "leaderctl.prom"
    ws.replace_in("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    assert ws.leaderctl("drift", "--sandbox", "--prometheus", str(prom), CFG).code == 1
    fams = parse_textfile(prom.read_text(encoding="utf-8"))
    assert per_leader(fams, "leaderctl_leader_ok")["alt-public"] == 0
    assert list(fams["leaderctl_check_success"]["samples"].values()) == [0.0]

    assert ws.leaderctl("drift", "--sandbox", "--prometheus", str(prom), "missing.yaml").code == 1
    fams = parse_textfile(prom.read_text(encoding="utf-8"))
    assert list(fams["leaderctl_check_success"]["samples"].values()) == [0.0]
    assert fams["leaderctl_last_check_timestamp_seconds"]["samples"]
    assert fams["leaderctl_drift"]["samples"] == {}
