"""Fleets end to end over real HTTP (CONTRACT §8): profiles and extends, `ignore`,
one request per leader in sync, `plan --explain`, importing several leaders."""
from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from e2e_kit import config_text, leader_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_plan_apply_e2e import set_live

from reconciler.config import load_desired

LEADER = "/api/v2/copy-trading/leader"
PROFILES = """\
version: 1
profiles:
  standard:
    settings:
      cooldown: {enabled: false}
      position_type: cross
      trade_protection: true
      profit_sharing: {period: weekly, rate: "0.08"}
      follower_minimums: {asset: "50", fixed_amount: "5", fixed_rate: "5"}
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
"""


def reads(exchange) -> Counter:
    """The leaders' reads (a large run's one GET /api/v1/exchangeInfo is not a leader's)."""
    return Counter(r.path.removeprefix(LEADER) for r in exchange.sb.requests if r.method == "GET" and r.path.startswith(LEADER))


def plan_json(exchange, *args):
    r = exchange.run("plan", "--format", "json", *args)
    assert r.exit_code in (0, 2), r.output
    return json.loads(r.stdout)


# --- economy ----------------------------------------------------------------------------------


def test_leaders_in_sync_cost_one_request_each(exchange):
    names = ["a", "b", "c"]
    for n in names:
        set_live(exchange, n, profitRate="0.08")
    path = exchange.write(config_text(*(leader_yaml(n) for n in names)))
    exchange.sb.clear_requests()
    doc = plan_json(exchange, path)
    assert [lp["status"] for lp in doc["leaders"]] == ["in_sync"] * 3
    assert reads(exchange) == Counter({"/config": 3})
    assert len(exchange.sb.requests) == 3  # one per leader: a small run does not read exchangeInfo


def test_enabling_a_pair_reads_the_symbols_and_an_unknown_one_is_still_blocked(exchange):
    set_live(exchange, "desk", profitRate="0.08")
    path = exchange.write(config_text(leader_yaml("desk", symbols="BTC-SWAP-USDT, ETH-SWAP-USDT, SOL-SWAP-USDT")))
    exchange.sb.clear_requests()
    doc = plan_json(exchange, path)
    assert doc["leaders"][0]["status"] == "changes"
    assert reads(exchange) == Counter({"/config": 1, "/symbols": 1})  # no orders: nothing is disabled

    path.write_text(config_text(leader_yaml("desk", symbols="BTC-SWAP-USDT, ETH-SWAP-USDT, PEPE-SWAP-USDT")))
    r = exchange.run("plan", path)
    assert r.exit_code == 1 and "PEPE-SWAP-USDT is not among this leader's available pairs" in r.stdout


def test_disabling_a_pair_reads_the_orders_and_minus_32090_still_blocks(exchange):
    set_live(exchange, "desk", profitRate="0.08", orders=[{"symbolId": "ETH-SWAP-USDT", "positionType": 0}])
    path = exchange.write(config_text(leader_yaml("desk", symbols="BTC-SWAP-USDT")))
    exchange.sb.clear_requests()
    r = exchange.run("plan", path)
    assert r.exit_code == 1 and "[-32090]" in r.stdout
    assert reads(exchange) == Counter({"/config": 1, "/orders/current": 1})


def test_a_position_type_change_reads_the_orders_and_minus_32093_still_blocks(exchange):
    set_live(exchange, "desk", profitRate="0.08", leadPositionType=0, orders=[{"symbolId": "BTC-SWAP-USDT", "positionType": 0}])
    path = exchange.write(config_text(leader_yaml("desk")).replace("position_type: cross", "position_type: isolated"))
    exchange.sb.clear_requests()
    r = exchange.run("plan", path)
    assert r.exit_code == 1 and "[-32093]" in r.stdout
    assert reads(exchange) == Counter({"/config": 1, "/orders/current": 1})


def test_a_config_answer_without_symbol_ids_falls_back_to_the_symbols(exchange):
    from reconciler.sandbox import Fault

    set_live(exchange, "desk", profitRate="0.08")
    config = dict(exchange.config("desk"))
    config.pop("inviteCode", None)
    exchange.sb.inject(Fault(method="GET", path_prefix=LEADER + "/config", kind="data", data=config))  # no symbolIds
    path = exchange.write(config_text(leader_yaml("desk")))
    exchange.sb.clear_requests()
    doc = plan_json(exchange, path)
    assert doc["leaders"][0]["status"] == "in_sync"
    assert reads(exchange) == Counter({"/config": 1, "/symbols": 1})


# --- ignore -----------------------------------------------------------------------------------


def test_ignored_paths_are_never_drift_and_the_put_sends_their_live_values(exchange):
    set_live(exchange, "desk", profitRate="0.08", tradeProtect=0, followAssetLowerLimit="70", fixedAmountFollowMin="7")
    ignore = "ignore: [settings.trade_protection, settings.follower_minimums]\n"
    path = exchange.write(config_text(leader_yaml("desk", extra=ignore)))
    doc = plan_json(exchange, "--detailed-exitcode", path)
    (lp,) = doc["leaders"]
    assert lp["status"] == "in_sync" and lp["ignored"] == ["settings.trade_protection", "settings.follower_minimums"]
    r = exchange.run("drift", path)
    assert r.exit_code == 0 and "(2 paths ignored)" in r.stdout

    path.write_text(config_text(leader_yaml("desk", rate="0.1", extra=ignore)))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    (put,) = exchange.puts()
    assert put.body["profitRate"] == "0.1"
    assert put.body["tradeProtect"] == 0 and put.body["followAssetLowerLimit"] == "70" and put.body["fixedAmountFollowMin"] == "7"
    assert exchange.config("desk")["tradeProtect"] == 0


def test_ignored_symbols_keep_the_live_pairs(exchange):
    set_live(exchange, "desk", profitRate="0.08", enabled=("BTC-SWAP-USDT", "DOGE-SWAP-USDT"))
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", extra="ignore: [symbols]\n")))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    (put,) = exchange.puts()
    assert sorted(put.body["symbolIds"]) == ["BTC-SWAP-USDT", "DOGE-SWAP-USDT"]


def test_markdown_says_how_many_paths_are_ignored(exchange):
    set_live(exchange, "desk", profitRate="0.08")
    path = exchange.write(config_text(leader_yaml("desk", extra="ignore: [settings.cooldown]\n")))
    r = exchange.run("plan", "--format", "markdown", path)
    assert "<summary>✅ 1 in sync</summary>" in r.stdout and "`desk` (ignores `settings.cooldown`)" in r.stdout


# --- profiles, explain ------------------------------------------------------------------------


def test_plan_explain_names_the_profile_line_and_json_carries_the_source(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    profiles = exchange.write(PROFILES, "profiles.yaml")
    exchange.write("version: 1\nleaders:\n  desk:\n    extends: standard\n", "desks.yaml")
    r = exchange.run("plan", "--explain", exchange.tmp / "profiles.yaml", exchange.tmp / "desks.yaml")
    line = next(text for text in r.stdout.splitlines() if "profitRate" in text)
    rate_line = next(i for i, text in enumerate(PROFILES.splitlines(), 1) if "rate:" in text)
    assert f"# from {profiles}:{rate_line}:" in line and "(profile standard)" in line
    doc = plan_json(exchange, "--explain", profiles, exchange.tmp / "desks.yaml")
    (change,) = doc["leaders"][0]["changes"]
    assert change["source"]["file"] == str(profiles) and change["source"]["line"] == rate_line
    assert change["source"]["from"] == "profile standard"
    assert "source" not in plan_json(exchange, profiles, exchange.tmp / "desks.yaml")["leaders"][0]["changes"][0]


def test_import_several_leaders_with_profiles_plans_in_sync(exchange):
    for name, rate in (("a", "0.1"), ("b", "0.1"), ("c", "0.12")):
        set_live(exchange, name, profitRate=rate, enabled=("BTC-SWAP-USDT", "SOL-SWAP-USDT"))
    out = exchange.tmp / "fleet.yaml"
    r = exchange.run("import", "--leader", "a", "--leader", "b", "--leader", "c", "--profiles", "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "profiles:\n  common:" in text and text.count("extends: common") == 3
    assert text.count("position_type:") == 1  # shared: written once, in the profile
    desired = load_desired([out])
    assert desired.leaders["c"].settings.profit_rate == Decimal("0.12")
    assert desired.leaders["a"].settings.profit_rate == Decimal("0.1")
    doc = plan_json(exchange, "--detailed-exitcode", out)
    assert [lp["status"] for lp in doc["leaders"]] == ["in_sync"] * 3


def test_import_every_leader_of_a_config(exchange):
    for name in ("a", "b"):
        set_live(exchange, name, profitRate="0.2")
    config = exchange.write(config_text(leader_yaml("a"), leader_yaml("b")))
    r = exchange.run("import", "-c", config, "--profiles")
    assert r.exit_code == 0, r.output
    out = exchange.write(r.stdout, "imported.yaml")
    assert sorted(load_desired([out]).leaders) == ["a", "b"]
    assert plan_json(exchange, "--detailed-exitcode", out)["summary"]["in_sync"] == 2


# --- property: random profile trees -----------------------------------------------------------

VALUES = {
    ("settings", "profit_sharing", "rate"): st.sampled_from(['"0.05"', '"0.1"', '"0.2"']),
    ("settings", "follower_minimums", "asset"): st.sampled_from(['"10"', '"50"', '"500"']),
    ("settings", "trade_protection"): st.sampled_from(["true", "false"]),
    ("settings", "position_type"): st.sampled_from(["all", "cross"]),
    ("symbols",): st.sampled_from(["[BTC-SWAP-USDT]", "[BTC-SWAP-USDT, ETH-SWAP-USDT]", "[SOL-SWAP-USDT, ETH-SWAP-USDT]"]),
}
BASE = PROFILES.split("profiles:\n")[1]


@st.composite
def trees(draw):
    """Profiles p1..pn, each extending earlier ones and setting some values; a leader on top."""
    n = draw(st.integers(1, 4))
    layers = []
    for i in range(1, n + 1):
        parents = draw(st.lists(st.sampled_from(["standard"] + [f"p{j}" for j in range(1, i)]), max_size=2, unique=True))
        values = draw(st.dictionaries(st.sampled_from(sorted(VALUES)), st.none(), max_size=3))
        layers.append((f"p{i}", parents, {path: draw(VALUES[path]) for path in values}))
    # standard first, so that the leader is complete whatever the rest of the tree says
    extends = ["standard"] + draw(st.lists(st.sampled_from([name for name, _, _ in layers]), min_size=1, max_size=3, unique=True))
    own = draw(st.dictionaries(st.sampled_from(sorted(VALUES)), st.none(), max_size=2))
    return layers, extends, {path: draw(VALUES[path]) for path in own}


def yaml_of(values: dict, indent: int) -> str:
    nested: dict = {}
    for path, value in values.items():
        node = nested
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    def emit(node, depth):
        return "".join(
            f"{' ' * depth}{k}:\n{emit(v, depth + 2)}" if isinstance(v, dict) else f"{' ' * depth}{k}: {v}\n" for k, v in node.items()
        )

    return emit(nested, indent)


def hand_merge(layers, extends, own) -> dict:
    """The documented rule, computed independently: depth-first order of the profiles
    (each profile's own extends before it, a profile reached twice only where first
    reached), then last writer wins per leaf (lists and scalars replace)."""
    by_name = {name: (parents, values) for name, parents, values in layers}
    order: list[str] = []

    def visit(name):
        parents = by_name[name][0] if name in by_name else []
        for parent in parents:
            if parent not in order:
                visit(parent)
        if name not in order:
            order.append(name)

    for name in extends:
        visit(name)
    merged: dict = {}
    for name in order:
        merged.update(by_name[name][1] if name in by_name else {})
    merged.update(own)
    return merged


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=trees())
def test_random_profile_trees_merge_as_documented_and_converge(exchange, tree):
    layers, extends, own = tree
    text = "version: 1\nprofiles:\n" + BASE
    for name, parents, values in layers:
        text += f"  {name}:\n" + (f"    extends: [{', '.join(parents)}]\n" if parents else "") + (yaml_of(values, 4) or "    {}\n")
    text += f"leaders:\n  prop:\n    extends: [{', '.join(extends)}]\n" + yaml_of(own, 4)
    path = exchange.write(text.replace("    {}\n", "    settings: {}\n"), "fleet.yaml")
    expected = hand_merge(layers, extends, own)
    desk = load_desired([path]).leaders["prop"]
    base = {("settings", "profit_sharing", "rate"): '"0.08"', ("settings", "follower_minimums", "asset"): '"50"',
            ("settings", "trade_protection"): "true", ("settings", "position_type"): "cross",
            ("symbols",): "[BTC-SWAP-USDT, ETH-SWAP-USDT]"}  # fmt: skip
    want = {**base, **expected}
    assert desk.settings.profit_rate == Decimal(want[("settings", "profit_sharing", "rate")].strip('"'))
    assert desk.settings.follower_min_asset == Decimal(want[("settings", "follower_minimums", "asset")].strip('"'))
    assert desk.settings.trade_protection == (want[("settings", "trade_protection")] == "true")
    assert desk.settings.position_type == want[("settings", "position_type")]
    assert list(desk.symbols) == [s.strip() for s in want[("symbols",)].strip("[]").split(",")]

    exchange.account("prop")
    exchange.clear_orders("prop")
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    assert plan_json(exchange, "--detailed-exitcode", path)["leaders"][0]["status"] == "in_sync"
