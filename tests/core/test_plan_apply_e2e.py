"""plan and apply end to end: the CLI against a sandbox exchange over real HTTP."""
from __future__ import annotations

import json

import pytest
from e2e_kit import config_text, leader_yaml

from reconciler.sandbox import Fault

PUT_PATH = "/api/v2/copy-trading/leader/config"


def set_live(ex, name, *, enabled=("BTC-SWAP-USDT", "ETH-SWAP-USDT"), orders=None, **config):
    """Put account `name` into a known live state (as if changed in the exchange's web UI)."""
    ex.account(name)
    state = ex.sb.account_state(name)
    state["config"].update(config)
    for s in state["symbols"]:
        s["isLead"] = int(s["symbolId"] in enabled)
    state["orders_current"] = [] if orders is None else orders
    ex.sb.save()


def plan_json(ex, path, *extra):
    r = ex.run("plan", "--format", "json", path, *extra)
    return r, json.loads(r.stdout)


def test_in_sync_spelling_differences_give_exit_0_and_no_write(exchange):
    # live: "0.10" string, timestamps as strings, symbols in another order; desired: 0.1 number, ints
    set_live(exchange, "desk", enabled=("ETH-SWAP-USDT", "BTC-SWAP-USDT"), profitRate="0.10",
             unLeadType=1, unLeadStartTime="1798070400000", unLeadEndTime="1798243200000")
    text = config_text(leader_yaml("desk", rate="0.1", symbols="ETH-SWAP-USDT, BTC-SWAP-USDT")).replace(
        "enabled: false", "enabled: true\n        start: 1798070400000\n        end: \"2026-12-26T00:00:00Z\"")
    path = exchange.write(text)
    r, doc = plan_json(exchange, path, "--detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert doc["leaders"][0]["status"] == "in_sync" and doc["leaders"][0]["changes"] == []
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0
    assert exchange.writes() == []


def test_every_kind_of_change_in_all_three_formats(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", symbols="BTC-SWAP-USDT, SOL-SWAP-USDT")))
    r, doc = plan_json(exchange, path, "--detailed-exitcode")
    assert r.exit_code == 2
    changes = doc["leaders"][0]["changes"]
    assert {"path": "settings.profit_sharing.rate", "field": "profitRate", "action": "update", "before": "0.05", "after": "0.1"} in changes
    assert {"path": "symbols", "field": "symbolIds", "action": "add", "after": "SOL-SWAP-USDT"} in changes
    assert {"path": "symbols", "field": "symbolIds", "action": "remove", "before": "ETH-SWAP-USDT"} in changes
    assert doc["summary"] == {"leaders": 1, "changes": 1, "in_sync": 0, "blocked": 0, "error": 0}

    text = exchange.run("plan", "--no-color", path).stdout
    assert '~ settings.profit_sharing.rate (profitRate): "0.05" -> "0.1"' in text
    assert "+ symbols: SOL-SWAP-USDT" in text and "- symbols: ETH-SWAP-USDT" in text
    assert "\033[" not in text

    md = exchange.run("plan", "--format", "markdown", path).stdout
    assert "<summary><code>desk</code> · 3 changes</summary>" in md and "+ symbols: SOL-SWAP-USDT" in md and "- symbols: ETH-SWAP-USDT" in md
    assert "settings.profit_sharing.rate" in md
    # plan writes nothing
    assert exchange.writes() == []


def test_apply_converges_and_a_second_apply_sends_no_put(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", symbols="BTC-SWAP-USDT, SOL-SWAP-USDT")))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    assert "desk: applied" in r.stdout
    assert len(exchange.puts()) == 1
    assert exchange.config("desk")["profitRate"] in ("0.1", "0.10")
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0 and "desk: in sync" in r.stdout
    assert len(exchange.puts()) == 1
    r, doc = plan_json(exchange, path, "--detailed-exitcode")
    assert r.exit_code == 0 and doc["leaders"][0]["status"] == "in_sync"


def test_referral_omitted_sends_no_recommend_share(exchange):
    set_live(exchange, "desk", profitRate="0.05", recommendShare=1, recommendShareRate="0.3")
    path = exchange.write(config_text(leader_yaml("desk")))
    assert exchange.run("apply", "--auto-approve", path).exit_code == 0
    (put,) = exchange.puts()
    assert "recommendShare" not in put.body and "recommendShareRate" not in put.body
    assert exchange.config("desk")["recommendShare"] == 1


@pytest.mark.parametrize(
    "symbols, orders, position, code, needle",
    [
        ("BTC-SWAP-USDT, PEPE-SWAP-USDT", [], "cross", None, "PEPE-SWAP-USDT"),
        ("BTC-SWAP-USDT", [{"symbolId": "ETH-SWAP-USDT", "positionType": 0}], "cross", -32090, "ETH-SWAP-USDT"),
        ("BTC-SWAP-USDT, ETH-SWAP-USDT", [{"symbolId": "BTC-SWAP-USDT", "positionType": 0}], "isolated", -32093, "position_type"),
    ],
)
def test_blocked_leader_gets_no_write_while_others_proceed(exchange, symbols, orders, position, code, needle):
    set_live(exchange, "blocked", orders=[dict(o, symbolName=o["symbolId"], isLong=1, leverage="10", openTime="1", quantity="1",
                                               newPrice="1", openPrice="1", totalFollowerCount="1", totalFollowerMargin="1",
                                               profitRate="0", markPrice="1") for o in orders])
    set_live(exchange, "fine", profitRate="0.05")
    blocked = leader_yaml("blocked", rate="0.1", symbols=symbols).replace("position_type: cross", f"position_type: {position}")
    path = exchange.write(config_text(blocked, leader_yaml("fine", rate="0.1")))
    r, doc = plan_json(exchange, path)
    assert r.exit_code == 1
    by = {lp["name"]: lp for lp in doc["leaders"]}
    assert by["blocked"]["status"] == "blocked"
    assert by["blocked"]["problems"][0]["code"] == code and needle in by["blocked"]["problems"][0]["message"]
    assert doc["summary"]["blocked"] == 1 and doc["summary"]["changes"] == 1

    r = exchange.run("apply", "--auto-approve", "--format", "json", path)
    assert r.exit_code == 3  # partial: one leader written, one blocked
    results = {lp["name"]: lp["result"] for lp in json.loads(r.stdout)["leaders"]}
    assert results == {"blocked": "blocked", "fine": "applied"}
    assert {w.account for w in exchange.writes()} == {"fine"}


def test_blocked_only_exits_1_with_nothing_written(exchange):
    set_live(exchange, "desk")
    path = exchange.write(config_text(leader_yaml("desk", symbols="BTC-SWAP-USDT, NOPE-SWAP-USDT")))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 1 and exchange.writes() == []


def _followers(ex, name):
    return ex.sb.account_state(name)["followers"]


def test_follower_removals_removed_not_found_and_pending(exchange):
    set_live(exchange, "desk")
    followers = _followers(exchange, "desk")
    free = next(f["user_id"] for f in followers if not f.get("has_position"))
    busy = next(f["user_id"] for f in followers if f.get("has_position"))
    extra = f"followers:\n  remove: [{free}, 999999999, {busy}]\n"
    path = exchange.write(config_text(leader_yaml("desk", extra=extra)))
    r = exchange.run("apply", "--auto-approve", "--format", "json", path)
    assert r.exit_code == 3, r.output  # the busy follower is pending
    (lp,) = json.loads(r.stdout)["leaders"]
    assert lp["follower_results"] == {str(free): "removed", "999999999": "not_found", str(busy): "pending"}
    assert lp["result"] == "partial"
    assert free not in [f["user_id"] for f in _followers(exchange, "desk")]
    deletes = [w for w in exchange.writes() if w.method == "DELETE"]
    assert len(deletes) == 3 and exchange.puts() == []


def test_more_than_ten_removals_need_force(exchange):
    set_live(exchange, "desk")
    ids = ", ".join(str(900000000 + i) for i in range(11))
    path = exchange.write(config_text(leader_yaml("desk", extra=f"followers:\n  remove: [{ids}]\n")))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 1 and "--force" in r.stderr
    assert exchange.writes() == []
    r = exchange.run("apply", "--auto-approve", "--force", path)
    assert r.exit_code == 0  # all 11 unknown to the exchange: -32045 counts as done
    assert len(exchange.writes()) == 11


def test_apply_without_terminal_or_approval_refuses(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    r = exchange.run("apply", path)
    assert r.exit_code == 1 and "--auto-approve" in r.stderr
    assert exchange.writes() == []


def test_read_only_key_plan_works_apply_explains(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    exchange.account("desk", readonly=True)
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    assert exchange.run("plan", path).exit_code == 0
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 1
    assert "read-only" in r.stdout + r.stderr
    assert exchange.config("desk")["profitRate"] == "0.05"


def test_5xx_after_the_write_is_settled_by_reading_back(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="PUT", path_prefix=PUT_PATH, kind="5xx_after", times=1, status=503))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    assert "applied" in r.stdout and "unknown outcome" in r.stdout
    assert len(exchange.puts()) == 1  # applied: no second PUT


def test_5xx_before_the_write_is_retried_after_reading_back(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="PUT", path_prefix=PUT_PATH, kind="5xx_before", times=1, status=502))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    assert len(exchange.puts()) == 2
    assert exchange.config("desk")["profitRate"] in ("0.1", "0.10")


def test_persistent_5xx_is_reported_as_unknown_not_failed_or_applied(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="PUT", path_prefix=PUT_PATH, kind="5xx_before", times=None, status=500))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 3  # a write may have happened: not "nothing written"
    assert "outcome unknown" in r.stdout


def test_exchange_rejection_is_explained_and_nothing_is_written(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.9")))  # above the level's maximum
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 1
    assert "-120072" in r.stdout
    assert exchange.config("desk")["profitRate"] == "0.05"


def test_secrets_never_in_output(exchange):
    acct = set_live(exchange, "desk", profitRate="0.05") or exchange.account("desk")
    text = config_text(leader_yaml("desk", rate="0.1")).replace(
        "required: false\n        scope: 1", "required: true\n        scope: 1\n        code: SECRET77")
    path = exchange.write(text)
    outputs = []
    for fmt in ("text", "json", "markdown"):
        outputs.append(exchange.run("plan", "--format", fmt, "--out", exchange.tmp / "p.json", path))
    outputs.append(exchange.run("apply", "--auto-approve", "--format", "json", path))
    blob = "".join(r.stdout + r.stderr for r in outputs) + (exchange.tmp / "p.json").read_text()
    for secret in (acct.api_key, acct.api_secret, "SECRET77"):
        assert secret not in blob
    assert "(sensitive)" in blob
    assert exchange.config("desk")["inviteCode"] == "SECRET77"


def test_a_ban_mid_apply_reports_what_was_written_and_sends_nothing_more(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    extra = "followers:\n  remove: [900000001, 900000002]\n"
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", extra=extra)))
    exchange.sb.inject(Fault(method="DELETE", kind="5xx_before", status=418, times=None))
    r = exchange.run("apply", "--auto-approve", "--format", "json", path)
    assert r.exit_code == 3, r.output  # the config was written, the removals were not
    (lp,) = json.loads(r.stdout)["leaders"]
    assert lp["result"] == "partial"
    assert set(lp["follower_results"].values()) == {"failed"}
    assert any("banned" in m for m in lp["messages"])
    assert len([w for w in exchange.sb.requests if w.method == "DELETE"]) == 1  # nothing sent after the 418
    assert exchange.config("desk")["profitRate"] in ("0.1", "0.10")
