"""Saved plans (stale detection) and import round trips, against the sandbox over HTTP."""
from __future__ import annotations

import json

from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

from reconciler import __version__


def _saved(exchange, path):
    out = exchange.tmp / "plan.json"
    r = exchange.run("plan", "--out", out, path)
    assert r.exit_code == 0, r.output
    return out


def test_saved_plan_applies_exactly_and_holds_no_secrets(exchange):
    acct = exchange.account("desk")
    set_live(exchange, "desk", profitRate="0.05")
    text = config_text(leader_yaml("desk", rate="0.1")).replace(
        "required: false\n        scope: 1", "required: true\n        scope: 1\n        code: CODE4242")
    path = exchange.write(text)
    out = _saved(exchange, path)
    saved = out.read_text()
    for secret in (acct.api_key, acct.api_secret, "CODE4242"):
        assert secret not in saved
    doc = json.loads(saved)
    assert doc["leaders"][0]["status"] == "changes"
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 0, r.output
    (put,) = exchange.puts()
    assert put.body["profitRate"] == "0.1" and put.body["inviteCode"] == "CODE4242"


def test_stale_when_live_state_changed(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    out = _saved(exchange, path)
    exchange.config("desk")["fixedRateFollowMin"] = "7"  # someone edits in the web UI
    exchange.sb.save()
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1
    assert "stale" in r.stderr and "desk" in r.stderr
    assert exchange.writes() == []


def test_stale_when_config_changed(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    out = _saved(exchange, path)
    path.write_text(config_text(leader_yaml("desk", rate="0.2")))
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1 and "stale" in r.stderr
    assert exchange.writes() == []


def test_not_a_plan_file(exchange):
    bogus = exchange.tmp / "bogus.json"
    bogus.write_text("{}")
    r = exchange.run("apply", "--auto-approve", "--plan", bogus)
    assert r.exit_code == 1 and "not a leaderctl plan file" in r.stderr


def test_import_round_trip_plans_no_changes(exchange):
    set_live(exchange, "desk", enabled=("BTC-SWAP-USDT", "SOL-SWAP-USDT"), profitRate="0.075", unLeadType=1,
             unLeadStartTime="1798070400000", unLeadEndTime="1798243200123", recommendShare=1,
             recommendShareRate="0.15", isNeedInvite=1, inviteScope=2, inviteCode="HIDDEN99")
    out = exchange.tmp / "imported.yaml"
    r = exchange.run("import", "--leader", "desk", "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "HIDDEN99" not in text and "code_env: LEADERCTL_DESK_INVITE_CODE" in text
    assert exchange.run("validate", out).exit_code == 0
    r = exchange.run("plan", "--detailed-exitcode", "--format", "json", out)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["leaders"][0]["status"] == "in_sync"
    # with the code in the environment it is compared too: still in sync
    exchange.monkeypatch.setenv("LEADERCTL_DESK_INVITE_CODE", "HIDDEN99")
    assert exchange.run("plan", "--detailed-exitcode", out).exit_code == 0
    exchange.monkeypatch.setenv("LEADERCTL_DESK_INVITE_CODE", "OTHER999")
    assert exchange.run("plan", "--detailed-exitcode", out).exit_code == 2


def test_import_writes_the_schema_line_default_credentials_unsaid_and_plain_symbols(exchange):
    set_live(exchange, "desk", enabled=("BTC-SWAP-USDT", "SOL-SWAP-USDT"))
    r = exchange.run("import", "--leader", "desk")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == ("# yaml-language-server: $schema=https://raw.githubusercontent.com/leaderctl/leaderctl/"
                        f"v{__version__}/schemas/leaders.schema.json")
    assert "credentials:" not in r.stdout  # LEADERCTL_DESK_API_KEY/_SECRET are the defaults
    assert "      - BTC-SWAP-USDT" in lines and "      - SOL-SWAP-USDT" in lines  # not quoted
    out = exchange.tmp / "imported.yaml"
    out.write_text(r.stdout)
    assert exchange.run("plan", "--detailed-exitcode", out).exit_code == 0  # still plans in sync


def test_symbols_that_would_read_as_something_else_are_quoted():
    from reconciler.importer import _quote

    assert [_quote(s) for s in ("BTC-SWAP-USDT", "yes", "Off", "1INCH-SWAP-USDT", "a:b", "x#y")] == [
        "BTC-SWAP-USDT", '"yes"', '"Off"', '"1INCH-SWAP-USDT"', '"a:b"', '"x#y"']
