"""`leaderctl refresh` end to end over real HTTP (docs/contract.md §11): the live values are
written where they belong, every other byte stays, nothing secret is ever written, and a plan
right after shows no changes."""
from __future__ import annotations

import json
import os

from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

PROFILES = """\
version: 1
profiles:
  standard:
    settings:
      cooldown: {enabled: false}
      position_type: cross   # the desk's default
      trade_protection: true
      profit_sharing: {period: weekly, rate: "0.08"}
      follower_minimums:
        asset: "50"
        fixed_amount: "5"
        fixed_rate: "5"
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
leaders:
  desk-a:
    extends: standard
    settings:
      profit_sharing: {rate: '0.1'}   # a's own
  desk-b:
    extends: [standard]   # b follows the desk
"""


def plan(exchange, path, *args):
    r = exchange.run("plan", "--format", "json", path, *args)
    return json.loads(r.stdout)


def changes(exchange, path, *args) -> dict:
    return {lp["name"]: [c["path"] for c in lp["changes"]] for lp in plan(exchange, path, *args)["leaders"]}


def in_sync(exchange, path, *args) -> bool:
    return all(lp["status"] == "in_sync" for lp in plan(exchange, path, *args)["leaders"])


def test_a_leader_value_is_replaced_in_place_byte_for_byte(exchange):
    set_live(exchange, "desk", profitRate="0.12", tradeProtect=0)
    text = config_text(leader_yaml("desk", rate="0.08")).replace("trade_protection: true", "trade_protection: true  # on")
    path = exchange.write("# desk config\n" + text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    expected = ("# desk config\n" + text).replace('rate: "0.08"', 'rate: "0.12"').replace(
        "trade_protection: true  # on", "trade_protection: false  # on")
    assert path.read_text() == expected
    assert '-        rate: "0.08"\n+        rate: "0.12"\n' in r.stdout and r.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert in_sync(exchange, path)
    assert exchange.writes() == []  # refresh never writes to the exchange


def test_a_shared_profile_value_becomes_an_override_and_a_lone_profile_is_edited(exchange):
    set_live(exchange, "desk-a", profitRate="0.1", leadPositionType=1)
    set_live(exchange, "desk-b", profitRate="0.08", leadPositionType=1, enabled=("BTC-SWAP-USDT",))
    path = exchange.write(PROFILES)
    r = exchange.run("refresh", path, "--leader", "desk-a")
    assert r.exit_code == 0, r.output
    after = path.read_text()
    # the profile is shared by desk-b: untouched; desk-a's own flow mapping gets the override
    assert after == PROFILES.replace(
        "      profit_sharing: {rate: '0.1'}   # a's own",
        "      profit_sharing: {rate: '0.1'}   # a's own\n      position_type: isolated")
    assert changes(exchange, path) == {"desk-a": [], "desk-b": ["settings.position_type", "symbols"]}
    r = exchange.run("refresh", path, "--leader", "desk-b")
    assert r.exit_code == 0, r.output
    assert path.read_text() == after.replace(
        "    extends: [standard]   # b follows the desk\n",
        "    extends: [standard]   # b follows the desk\n    settings:\n      position_type: isolated\n    symbols: [BTC-SWAP-USDT]\n")
    assert in_sync(exchange, path)


def test_a_profile_only_one_leader_extends_is_edited_in_place(exchange):
    set_live(exchange, "desk-a", profitRate="0.1", profitPeriod=1)
    text = PROFILES.replace("  desk-b:\n    extends: [standard]   # b follows the desk\n", "")
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert path.read_text() == text.replace("{period: weekly,", "{period: daily,")
    assert in_sync(exchange, path)


def test_block_symbols_keep_their_comments_and_style(exchange):
    set_live(exchange, "desk", enabled=("ETH-SWAP-USDT", "SOL-SWAP-USDT"))
    text = config_text(leader_yaml("desk")).replace(
        "    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]\n",
        "    symbols:\n      - BTC-SWAP-USDT   # majors\n      - 'ETH-SWAP-USDT'   # majors\n")
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert path.read_text() == text.replace("      - BTC-SWAP-USDT   # majors\n", "").replace(
        "'ETH-SWAP-USDT'   # majors\n", "'ETH-SWAP-USDT'   # majors\n      - 'SOL-SWAP-USDT'\n")
    assert in_sync(exchange, path)


def test_cooldown_switched_on_live_gets_its_times_in_their_style(exchange):
    set_live(exchange, "desk", unLeadType=1, unLeadStartTime="1798070400000", unLeadEndTime="1798243200000")
    path = exchange.write(config_text(leader_yaml("desk")))
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert "      cooldown:\n        enabled: true\n        end: \"2026-12-26T00:00:00Z\"\n" in path.read_text()
    assert in_sync(exchange, path)
    set_live(exchange, "desk", unLeadType=0, unLeadStartTime="0", unLeadEndTime="0")
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert path.read_text() == config_text(leader_yaml("desk"))  # the end is removed again
    assert in_sync(exchange, path)


def test_the_invite_code_from_the_environment_is_never_written(exchange, monkeypatch):
    code, live_code = "DESKCODE1", "LIVECODE9"
    monkeypatch.setenv("DESK_INVITE", code)
    set_live(exchange, "desk", isNeedInvite=1, inviteScope=2, inviteCode=live_code, profitRate="0.09")
    text = config_text(leader_yaml("desk")).replace(
        "        required: false\n        scope: 1\n", "        required: true\n        scope: 2\n        code_env: DESK_INVITE\n")
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert "the live invite code differs" in r.stderr
    assert live_code not in r.output and code not in r.output
    after = path.read_text()
    assert live_code not in after and after == text.replace('rate: "0.08"', 'rate: "0.09"')


def test_ignored_paths_and_follower_removals_are_never_written(exchange):
    set_live(exchange, "desk", profitRate="0.2", followAssetLowerLimit="70")
    extra = "followers:\n  remove: [123456789]\nignore: [settings.follower_minimums]\n"
    text = config_text(leader_yaml("desk", extra=extra))
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 0, r.output
    assert path.read_text() == text.replace('rate: "0.08"', 'rate: "0.2"')


def test_check_writes_nothing_and_exits_2_then_0(exchange):
    set_live(exchange, "desk", profitRate="0.12")
    text = config_text(leader_yaml("desk"))
    path = exchange.write(text)
    r = exchange.run("refresh", "--check", path)
    assert r.exit_code == 2 and '+        rate: "0.12"' in r.stdout and "nothing written" in r.stderr
    assert path.read_text() == text
    assert exchange.run("refresh", path).exit_code == 0
    r = exchange.run("refresh", "--check", path)
    assert r.exit_code == 0 and r.stdout == "" and "nothing to change" in r.stderr


def test_blocked_and_error_leaders_are_left_alone_and_reported(exchange, monkeypatch):
    set_live(exchange, "desk", profitRate="0.12")
    set_live(exchange, "busy", orders=[{"symbolId": "ETH-SWAP-USDT", "positionType": 0}])
    text = config_text(leader_yaml("desk"), leader_yaml("busy", symbols="BTC-SWAP-USDT"), leader_yaml("nokeys", rate="0.3"))
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 1
    assert "leader busy: blocked, left alone" in r.stderr and "leader nokeys: error, left alone" in r.stderr
    assert path.read_text() == text.replace('rate: "0.08"', 'rate: "0.12"', 1)


def test_a_file_changed_on_disk_meanwhile_is_not_overwritten(exchange, monkeypatch):
    from reconciler import refresh

    set_live(exchange, "desk", profitRate="0.12")
    path = exchange.write(config_text(leader_yaml("desk")))
    edited = path.read_text().replace("position_type: cross", "position_type: cross  # someone typing")
    real = refresh.propose

    def propose_then_edit(*args, **kw):
        out = real(*args, **kw)
        path.write_text(edited)  # another editor saves while refresh works
        return out

    monkeypatch.setattr(refresh, "propose", propose_then_edit)
    r = exchange.run("refresh", path)
    assert r.exit_code == 1 and "changed on disk since refresh read it: not overwritten" in r.stderr
    assert path.read_text() == edited
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]


def test_what_cannot_be_edited_safely_is_refused_and_nothing_is_written(exchange):
    set_live(exchange, "desk", profitRate="0.12", tradeProtect=0)
    text = config_text(leader_yaml("desk")).replace('rate: "0.08"', "rate: !!str 0.08")
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{path}:11:15: leaders.desk.settings.profit_sharing.rate: cannot edit this safely: it has a YAML tag" in r.stderr
    assert path.read_text() == text


def test_a_live_value_the_config_rules_refuse_is_not_written(exchange):
    set_live(exchange, "desk", enabled=())
    text = config_text(leader_yaml("desk"))
    path = exchange.write(text)
    r = exchange.run("refresh", path)
    assert r.exit_code == 1 and "edit by hand" in r.stderr
    assert path.read_text() == text
