"""Property: for any valid desired and live state, apply then plan shows no changes."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.applier import Applier
from reconciler.model import Credentials, LeaderSpec, Settings
from reconciler.runner import LivePlanner
from reconciler.sandbox import Sandbox
from reconciler.session import Session

AVAILABLE = ["BTC-SWAP-USDT", "ETH-SWAP-USDT", "SOL-SWAP-USDT", "XRP-SWAP-USDT", "DOGE-SWAP-USDT"]


def decimals(lo: str, hi: str, places: int):
    return st.decimals(Decimal(lo), Decimal(hi), places=places, allow_nan=False, allow_infinity=False)


times = st.integers(1_700_000_000_000, 1_900_000_000_000)
codes = st.text("ABCDEFGH23456789", min_size=6, max_size=10)


@st.composite
def desired_settings(draw) -> Settings:
    cooldown = draw(st.booleans())
    start, end = sorted(draw(st.lists(times, min_size=2, max_size=2)))
    invite = draw(st.booleans())
    referral = draw(st.sampled_from([None, False, True]))
    return Settings(
        cooldown_enabled=cooldown,
        cooldown_start=(start if draw(st.booleans()) else None) if cooldown else None,
        cooldown_end=end if cooldown else None,
        position_type=draw(st.sampled_from(["all", "cross", "isolated"])),
        trade_protection=draw(st.booleans()),
        profit_period=draw(st.sampled_from(["daily", "weekly"])),
        profit_rate=draw(decimals("0", "0.3", 4)),
        follower_min_asset=draw(decimals("1", "1000", 2)),
        follower_min_fixed_amount=draw(decimals("1", "1000", 2)),
        follower_min_fixed_rate=draw(decimals("1", "100", 2)),
        invite_required=invite,
        invite_scope=draw(st.integers(0, 3)),
        invite_code=draw(st.one_of(st.none(), codes)) if invite else None,
        referral_enabled=referral,
        referral_rate=(draw(decimals("0.00000001", "1", 8)) if referral else None),
    )


@st.composite
def live_config(draw) -> dict:
    cooldown = draw(st.booleans())
    start, end = sorted(draw(st.lists(times, min_size=2, max_size=2)))
    return {
        "unLeadType": int(cooldown),
        "unLeadStartTime": str(start if cooldown else 0),
        "unLeadEndTime": str(end if cooldown else 0),
        "leadPositionType": draw(st.sampled_from([-1, 0, 1])),
        "tradeProtect": draw(st.sampled_from([0, 1])),
        "profitPeriod": draw(st.sampled_from([1, 7])),
        "profitRate": str(draw(decimals("0", "0.3", 3))),
        "followAssetLowerLimit": str(draw(decimals("1", "500", 1))),
        "fixedAmountFollowMin": str(draw(decimals("1", "500", 1))),
        "fixedRateFollowMin": str(draw(decimals("1", "50", 1))),
        "isNeedInvite": draw(st.sampled_from([0, 1])),
        "inviteScope": draw(st.integers(0, 3)),
        "recommendShare": draw(st.sampled_from([0, 1])),
        "recommendShareRate": str(draw(decimals("0.01", "1", 2))),
        "inviteCode": draw(st.one_of(st.just(""), codes)),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    desired=desired_settings(),
    symbols=st.lists(st.sampled_from(AVAILABLE), min_size=1, max_size=5, unique=True),
    live=live_config(),
    live_symbols=st.lists(st.sampled_from(AVAILABLE), max_size=5, unique=True),
)
def test_apply_then_plan_shows_no_changes(tmp_path_factory, desired, symbols, live, live_symbols):
    state = tmp_path_factory.mktemp("converge") / "sandbox.json"
    with Sandbox(state_path=state) as sb, Session(sb.url) as session:
        acct = sb.ensure_account("prop")
        account = sb.account_state("prop")
        account["config"].update(live)
        account["orders_current"] = []  # no lead orders: nothing can block
        for s in account["symbols"]:
            s["isLead"] = int(s["symbolId"] in live_symbols)
        sb.save()
        spec = LeaderSpec("prop", Credentials("K", "S"), desired, tuple(symbols))
        session.client = lambda _spec: session.conn.leader(acct.api_key, acct.api_secret)
        planner = LivePlanner(session, warn=lambda _m: None)
        plan, contexts = planner.plan([spec])
        assert plan.leaders[0].status in ("changes", "in_sync"), plan.leaders[0].problems
        result = Applier(session).apply(plan.leaders, contexts)
        assert result.leaders[0].result in ("applied", "in_sync"), result.leaders[0].messages
        again, _ = planner.plan([spec])
        assert again.leaders[0].changes == []
        puts = [r for r in sb.requests if r.method == "PUT"]
        assert len(puts) == (1 if plan.leaders[0].changes else 0)
