"""The planner is pure: these tests build (desired, live) by hand, no network."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from reconciler.live import live_from_api
from reconciler.model import Credentials, LeadOrder, LeaderSpec, Live, Settings
from reconciler.model import Plan
from reconciler.planner import plan_leader, put_body, target
from reconciler.render import render_plan

API_CONFIG = {
    "unLeadType": 1,
    "unLeadStartTime": "1717200000000",
    "unLeadEndTime": "1717286400000",
    "leadPositionType": 0,
    "tradeProtect": 1,
    "profitPeriod": 7,
    "profitRate": "0.10",
    "followAssetLowerLimit": "100",
    "fixedAmountFollowMin": "10",
    "fixedRateFollowMin": "10",
    "isNeedInvite": 1,
    "inviteScope": 2,
    "symbolIds": ["ETH-SWAP-USDT", "BTC-SWAP-USDT"],
    "recommendShare": 1,
    "recommendShareRate": "0.2",
    "inviteCode": "LEADER2026",
}
SYMBOLS = [{"symbolId": s, "leverage": "20", "isLead": 1} for s in ("BTC-SWAP-USDT", "ETH-SWAP-USDT", "SOL-SWAP-USDT")]

DESIRED = Settings(
    cooldown_enabled=True,
    cooldown_start=1717200000000,
    cooldown_end=1717286400000,
    position_type="cross",
    trade_protection=True,
    profit_period="weekly",
    profit_rate=Decimal("0.1"),
    follower_min_asset=Decimal("100"),
    follower_min_fixed_amount=Decimal("10.0"),
    follower_min_fixed_rate=Decimal("10"),
    invite_required=True,
    invite_scope=2,
    invite_code="LEADER2026",
    referral_enabled=True,
    referral_rate=Decimal("0.20"),
)


def spec(settings=DESIRED, symbols=("BTC-SWAP-USDT", "ETH-SWAP-USDT"), removals=()) -> LeaderSpec:
    return LeaderSpec("desk", Credentials("K", "S"), settings, tuple(symbols), tuple(removals))


def live(orders=(), **config) -> Live:
    return live_from_api({**API_CONFIG, **config}, SYMBOLS, list(orders))


def test_in_sync_compares_values_not_spelling():
    # "0.10" vs 0.1, string timestamps vs ints, "10" vs 10.0, reordered symbols
    plan = plan_leader(spec(), live())
    assert plan.status == "in_sync"
    assert plan.changes == [] and plan.body is None


def test_timestamps_accepted_as_numbers_too():
    assert plan_leader(spec(), live(unLeadStartTime=1717200000000, unLeadEndTime=1717286400000)).status == "in_sync"


def test_update_change_shows_before_and_after():
    plan = plan_leader(spec(), live(profitRate="0.12"))
    assert plan.status == "changes"
    (c,) = plan.changes
    assert (c.path, c.field, c.action, c.before, c.after) == ("settings.profit_sharing.rate", "profitRate", "update", Decimal("0.12"), Decimal("0.1"))


def test_symbol_add_and_remove():
    plan = plan_leader(spec(symbols=("BTC-SWAP-USDT", "SOL-SWAP-USDT")), live())
    got = {(c.action, c.before or c.after) for c in plan.changes}
    assert got == {("add", "SOL-SWAP-USDT"), ("remove", "ETH-SWAP-USDT")}
    assert plan.body["symbolIds"] == ["BTC-SWAP-USDT", "SOL-SWAP-USDT"]


def test_cooldown_times_ignored_when_off():
    off = replace(DESIRED, cooldown_enabled=False, cooldown_start=None, cooldown_end=None)
    plan = plan_leader(spec(off), live(unLeadType=0, unLeadStartTime="0", unLeadEndTime="0"))
    assert plan.status == "in_sync"
    # turning it off: only the switch changes, and no times are sent
    plan = plan_leader(spec(off), live())
    assert [c.field for c in plan.changes] == ["unLeadType"]
    assert "unLeadStartTime" not in plan.body and "unLeadEndTime" not in plan.body
    assert plan.body["unLeadType"] == 0


def test_referral_omitted_is_not_compared_nor_sent():
    no_ref = replace(DESIRED, referral_enabled=None, referral_rate=None)
    assert plan_leader(spec(no_ref), live(recommendShare=0, recommendShareRate="0")).status == "in_sync"
    plan = plan_leader(spec(no_ref), live(recommendShare=0, profitRate="0.2"))
    assert "recommendShare" not in plan.body and "recommendShareRate" not in plan.body


def test_invite_code_compared_but_never_displayed():
    plan = plan_leader(spec(), live(inviteCode="OTHER123"))
    (c,) = plan.changes
    assert c.field == "inviteCode" and c.sensitive  # typed in the plan, masked by every renderer
    for fmt in ("text", "json", "markdown"):
        shown = render_plan(Plan([plan]), fmt)
        assert "(sensitive)" in shown and "LEADER2026" not in shown and "OTHER123" not in shown
    assert plan.body["inviteCode"] == "LEADER2026"
    # an unchanged code is not re-sent with other changes
    plan = plan_leader(spec(), live(profitRate="0.3"))
    assert "inviteCode" not in plan.body


def test_body_types_match_the_put_example():
    plan = plan_leader(spec(), live(profitRate="0.3"))
    body = plan.body
    assert body["unLeadStartTime"] == 1717200000000 and isinstance(body["unLeadEndTime"], int)
    assert body["profitRate"] == "0.1" and body["recommendShareRate"] == "0.2"  # "0.20" in its shortest spelling
    assert body["leadPositionType"] == 0 and body["profitPeriod"] == 7 and body["tradeProtect"] == 1


def test_unknown_symbol_blocks():
    plan = plan_leader(spec(symbols=("BTC-SWAP-USDT", "ETH-SWAP-USDT", "PEPE-SWAP-USDT")), live())
    assert plan.status == "blocked" and plan.body is None
    assert "PEPE-SWAP-USDT" in plan.problems[0].message


def test_disabling_a_pair_with_lead_orders_blocks_with_32090():
    orders = [{"symbolId": "ETH-SWAP-USDT", "positionType": 0}]
    plan = plan_leader(spec(symbols=("BTC-SWAP-USDT",)), live(orders))
    assert plan.status == "blocked"
    assert [p.code for p in plan.problems] == [-32090]
    assert "ETH-SWAP-USDT" in plan.problems[0].message
    # keeping it enabled is fine
    assert plan_leader(spec(), live(orders)).status == "in_sync"


def test_position_type_change_against_held_orders_blocks_with_32093():
    orders = [{"symbolId": "BTC-SWAP-USDT", "positionType": "0"}]  # cross, spelled as a string
    iso = replace(DESIRED, position_type="isolated")
    plan = plan_leader(spec(iso), live(orders))
    assert [p.code for p in plan.problems] == [-32093]
    # "all" allows both kinds, so switching to it is fine
    assert plan_leader(spec(replace(DESIRED, position_type="all")), live(orders)).status == "changes"
    # without orders nothing blocks
    assert plan_leader(spec(iso), live()).status == "changes"


def test_follower_removals_are_carried_but_are_not_changes():
    plan = plan_leader(spec(removals=(5, 6)), live())
    assert plan.status == "in_sync" and plan.follower_removals == (5, 6)


def test_fingerprint_ignores_invite_code_and_symbol_order_but_not_values():
    a = plan_leader(spec(), live()).live_fingerprint
    assert a == plan_leader(spec(), live(symbolIds=["BTC-SWAP-USDT", "ETH-SWAP-USDT"])).live_fingerprint
    assert a == plan_leader(spec(), live(inviteCode="OTHER123")).live_fingerprint
    assert a != plan_leader(spec(), live(profitRate="0.11")).live_fingerprint


def test_put_body_never_contains_unmanaged_code():
    no_code = replace(DESIRED, invite_code=None)
    state = live(inviteCode="")
    body = put_body(target(spec(no_code), state), state)
    assert "inviteCode" not in body
