"""Plans of 1, 7 and 200 leaders for the comment and drift-issue fixtures: built from
the model directly (deterministic, no exchange), shaped like real desks. Not a test
module (no `test_` prefix); `fixtures/regenerate.py` and the layout tests use it.
"""
from __future__ import annotations

from decimal import Decimal

from reconciler.model import Action, Change, LeaderPlan, LeaderStatus, Plan, Problem
from reconciler.spec import BY_ATTR, SYMBOLS_FIELD, SYMBOLS_PATH

SIZES = (1, 7, 200)


def update(attr: str, before, after) -> Change:
    s = BY_ATTR[attr]
    return Change(s.path, s.api, Action.UPDATE, before, after, setting=s)


def add(symbol: str) -> Change:
    return Change(SYMBOLS_PATH, SYMBOLS_FIELD, Action.ADD, after=symbol)


def remove(symbol: str) -> Change:
    return Change(SYMBOLS_PATH, SYMBOLS_FIELD, Action.REMOVE, before=symbol)


def changed(name: str, changes: list[Change], removals: tuple[int, ...] = (), ignored: tuple[str, ...] = ()) -> LeaderPlan:
    return LeaderPlan(name, LeaderStatus.CHANGES, changes, removals, ignored=ignored)


def in_sync(name: str, removals: tuple[int, ...] = (), ignored: tuple[str, ...] = ()) -> LeaderPlan:
    return LeaderPlan(name, LeaderStatus.IN_SYNC, follower_removals=removals, ignored=ignored)


def blocked(name: str, symbol: str) -> LeaderPlan:
    return LeaderPlan(name, LeaderStatus.BLOCKED, [remove(symbol)], problems=[
        Problem(f"cannot disable {symbol}: it has a current lead order (the exchange would answer -32090); "
                "close the order first, or keep the pair", -32090, SYMBOLS_PATH)])


def one() -> Plan:
    return Plan([changed("desk-btc", [update("profit_rate", Decimal("0.1"), Decimal("0.12"))])])


def seven() -> Plan:
    """The README's examples/ after one edit: 3 with changes, 1 with an ignored path."""
    return Plan([
        changed("desk-btc", [update("profit_rate", Decimal("0.1"), Decimal("0.12")),
                             update("follower_min_asset", Decimal("100"), Decimal("200"))]),
        changed("eth-desk", [update("position_type", "isolated", "cross"), add("SOL-SWAP-USDT"), remove("XRP-SWAP-USDT")],
                removals=(1034,)),
        in_sync("alt-public"),
        changed("alt-private", [update("invite_code", "a", "b"), update("cooldown_enabled", False, True),
                                update("cooldown_end", 1780228800000, 1780315200000)]),
        in_sync("fleet-a"),
        in_sync("fleet-b"),
        in_sync("fleet-c", ignored=("settings.cooldown",)),
    ])


def two_hundred() -> Plan:
    """A fleet: 160 in sync, 15 blocked (-32090), 2 in error, 23 with changes (one large)."""
    leaders = []
    for i in range(200):
        name = f"desk-{i:03d}"
        if i % 13 == 5 and len([lp for lp in leaders if lp.status is LeaderStatus.BLOCKED]) < 15:
            leaders.append(blocked(name, "DOGE-SWAP-USDT"))
        elif i in (17, 133):
            leaders.append(LeaderPlan(name, LeaderStatus.ERROR, problems=[
                Problem("the exchange refused the API key (-1022, signature for this request is not valid): check its secret", -1022)]))
        elif i == 42:
            leaders.append(changed(name, [add(f"{c}{d}-SWAP-USDT") for c in "ABCDEFGH" for d in "XYZ"]
                                   + [update("profit_rate", Decimal("0.1"), Decimal("0.15"))], removals=tuple(range(5000, 5012))))
        elif i % 9 == 1:
            n = i % 4 + 1
            leaders.append(changed(name, [update("profit_rate", Decimal("0.1"), Decimal("0.1") + Decimal(i) / 1000),
                                          update("follower_min_asset", Decimal("100"), Decimal(100 + i)),
                                          update("trade_protection", False, True),
                                          add("SOL-SWAP-USDT")][:n]))
        elif i % 50 == 7:
            leaders.append(in_sync(name, removals=(9000 + i,)))
        else:
            leaders.append(in_sync(name, ignored=("settings.cooldown",) if i % 10 == 3 else ()))
    return Plan(leaders)


def plans() -> dict[int, Plan]:
    return {1: one(), 7: seven(), 200: two_hundred()}
