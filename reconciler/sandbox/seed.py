"""Realistic seeded accounts, so that a new user can try leaderctl with no keys.

Everything is derived from the account name (random.Random(name) and hashes of
it), so the same name always gets the same keys, symbols, orders and followers:
docs, demos and tests can rely on it. Times are relative to a fixed reference
date, not to "now", for the same reason.

The account layout (see store.py and exchange.py): top-level keys in snake_case are sandbox
bookkeeping; everything below `config`, `symbols`, `orders_*`, `trade_data`,
`profit_sharings` and `followers` uses the exchange's own field names and JSON
types, except for the snake_case follower keys `user_id` and `has_position`,
which the exchange never returns.
"""
from __future__ import annotations

import copy
import hashlib
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

REFERENCE = datetime(2026, 6, 1, tzinfo=timezone.utc)
REFERENCE_MS = int(REFERENCE.timestamp() * 1000)

# symbolId -> (display name, reference price, price decimals, leader leverage)
UNIVERSE: dict[str, tuple[str, str, int, str]] = {
    "BTC-SWAP-USDT": ("BTCUSDT Perpetual", "68100.2", 1, "20"),
    "ETH-SWAP-USDT": ("ETHUSDT Perpetual", "3520.45", 2, "20"),
    "SOL-SWAP-USDT": ("SOLUSDT Perpetual", "168.32", 2, "10"),
    "XRP-SWAP-USDT": ("XRPUSDT Perpetual", "0.5231", 4, "10"),
    "DOGE-SWAP-USDT": ("DOGEUSDT Perpetual", "0.16012", 5, "10"),
    "BNB-SWAP-USDT": ("BNBUSDT Perpetual", "601.7", 1, "10"),
    "ADA-SWAP-USDT": ("ADAUSDT Perpetual", "0.4512", 4, "5"),
    "LTC-SWAP-USDT": ("LTCUSDT Perpetual", "82.14", 2, "5"),
    "AVAX-SWAP-USDT": ("AVAXUSDT Perpetual", "35.871", 3, "5"),
    "LINK-SWAP-USDT": ("LINKUSDT Perpetual", "17.342", 3, "5"),
}
ALWAYS_AVAILABLE = ("BTC-SWAP-USDT", "ETH-SWAP-USDT", "SOL-SWAP-USDT", "XRP-SWAP-USDT", "DOGE-SWAP-USDT")
TRADE_PERIODS = (7, 30, 90, 180, 365)

DEFAULT_LEVEL = {
    "name": "Bronze",
    # field -> [min, max] (inclusive; null = no bound), checked by PUT config (-120072)
    "limits": {
        "profitRate": ["0", "0.3"],
        "followAssetLowerLimit": ["1", "1000000"],
        "fixedAmountFollowMin": ["1", None],
        "fixedRateFollowMin": ["1", None],
    },
    # a private (invite-only) leader may charge more
    "private_profit_rate_max": "0.5",
}

DEFAULT_CONFIG = {
    "unLeadType": 0,
    "unLeadStartTime": "0",
    "unLeadEndTime": "0",
    "leadPositionType": 0,
    "tradeProtect": 1,
    "profitPeriod": 7,
    "profitRate": "0.08",
    "followAssetLowerLimit": "50",
    "fixedAmountFollowMin": "5",
    "fixedRateFollowMin": "5",
    "isNeedInvite": 0,
    "inviteScope": 1,
    "recommendShare": 0,
    "recommendShareRate": "0",
    "inviteCode": "",
}


def credential(name: str, purpose: str) -> str:
    """A stable 64-character key or secret for one account (throwaway, loopback only)."""
    return hashlib.sha256(f"leaderctl-sandbox:{purpose}:{name}".encode()).hexdigest()


def seed_account(name: str, leader: bool = True) -> dict:
    """A complete account state for `name`, identical on every call."""
    rng = random.Random(f"leaderctl-sandbox:{name}")
    available = _available_symbols(rng)
    enabled = {"BTC-SWAP-USDT", "ETH-SWAP-USDT"}
    if rng.random() < 0.5:
        enabled.add(rng.choice([s for s in available if s not in enabled]))
    followers = _followers(rng)
    return {
        "name": name,
        "leader": leader,
        "api_key": credential(name, "api-key"),
        "api_secret": credential(name, "api-secret"),
        "readonly_api_key": credential(name, "readonly-api-key"),
        "readonly_api_secret": credential(name, "readonly-api-secret"),
        "level": copy.deepcopy(DEFAULT_LEVEL),
        "custom_profit_ratio": False,
        "config": dict(DEFAULT_CONFIG),
        "symbols": [
            {"symbolId": s, "leverage": UNIVERSE[s][3], "isLead": int(s in enabled)} for s in available
        ],
        "orders_current": _current_orders(rng, with_eth=rng.random() < 0.5),
        "orders_history": _order_history(rng, available),
        "trade_data": {str(p): _trade_data(rng, p, len(followers)) for p in TRADE_PERIODS},
        "profit_sharings": _profit_sharings(rng),
        "followers": followers,
    }


def _available_symbols(rng: random.Random) -> list[str]:
    extras = [s for s in UNIVERSE if s not in ALWAYS_AVAILABLE]
    chosen = set(rng.sample(extras, rng.randint(2, 4)))
    return [s for s in UNIVERSE if s in ALWAYS_AVAILABLE or s in chosen]


def _dec(value: float | Decimal, places: int) -> str:
    """A decimal string with at most `places` decimals and no trailing zeros."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _price(symbol: str, rng: random.Random, spread: float = 0.04) -> str:
    _, ref, places, _ = UNIVERSE[symbol]
    return _dec(float(ref) * (1 + rng.uniform(-spread, spread)), places)


def _current_orders(rng: random.Random, with_eth: bool) -> list[dict]:
    symbols = ["BTC-SWAP-USDT"] + (["ETH-SWAP-USDT"] if with_eth else [])
    orders = []
    for symbol in symbols:
        display, ref, places, leverage = UNIVERSE[symbol]
        open_price = Decimal(_price(symbol, rng))
        new_price = Decimal(_price(symbol, rng, 0.02))
        is_long = rng.randint(0, 1)
        move = (new_price - open_price) / open_price * (1 if is_long else -1)
        orders.append(
            {
                "symbolId": symbol,
                "symbolName": display,
                "isLong": is_long,
                "positionType": 0,
                "leverage": leverage,
                "openTime": str(REFERENCE_MS - rng.randint(1, 72) * 3_600_000),
                "quantity": _dec(rng.uniform(100, 2000) / float(ref), 6),
                "newPrice": str(new_price),
                "openPrice": str(open_price),
                "totalFollowerCount": str(rng.randint(3, 20)),
                "totalFollowerMargin": _dec(rng.uniform(200, 9000), 2),
                "profitRate": _dec(move * int(leverage), 4),
                "markPrice": _price(symbol, rng, 0.02),
            }
        )
    return orders


def _order_history(rng: random.Random, available: list[str]) -> list[dict]:
    records = []
    close_ms = REFERENCE_MS - rng.randint(2, 12) * 3_600_000
    for _ in range(rng.randint(21, 40)):
        symbol = rng.choice(available)
        _, ref, places, leverage = UNIVERSE[symbol]
        open_ms = close_ms - rng.randint(1, 48) * 3_600_000
        open_price = Decimal(_price(symbol, rng, 0.1))
        close_price = Decimal(_price(symbol, rng, 0.1))
        qty = Decimal(_dec(rng.uniform(100, 3000) / float(ref), 6))
        is_long = rng.randint(0, 1)
        partial = rng.random() < 0.15
        close_qty = Decimal(_dec(qty * Decimal(str(rng.uniform(0.3, 0.9))), 6)) if partial else qty
        profit = (close_price - open_price) * close_qty * (1 if is_long else -1)
        open_fee = open_price * qty * Decimal("0.0006")
        close_fee = close_price * close_qty * Decimal("0.0006")
        records.append(
            {
                "symbolId": symbol,
                "isLong": is_long,
                "positionType": 0,
                "leverage": leverage,
                "openPrice": str(open_price),
                "closePrice": str(close_price),
                "openTime": str(open_ms),
                "closeTime": str(close_ms),
                "profit": _dec(profit - open_fee - close_fee, 4),
                "status": 1 if partial else 2,
                "openQty": str(qty),
                "closeQty": str(close_qty),
                "positionProfit": _dec(profit, 4),
                "openFee": _dec(open_fee, 4),
                "closeFee": _dec(close_fee, 4),
            }
        )
        close_ms = open_ms - rng.randint(1, 30) * 3_600_000
    return records  # newest first


def _trade_data(rng: random.Random, period: int, followers: int) -> dict:
    orders = max(1, int(period * rng.uniform(0.4, 1.2)))
    wins = int(orders * rng.uniform(0.45, 0.75))
    profit = Decimal(str(rng.uniform(0.5, 3.0) * period * 10))
    return {
        "profitRate": _dec(profit / Decimal(5000), 4),
        "accumulatedProfit": _dec(profit, 4),
        "orderCount": orders,
        "winRate": _dec(Decimal(wins) / Decimal(orders), 4),
        "currentFollowerCount": str(followers),
        "followerTotalProfit": _dec(profit * Decimal(str(rng.uniform(0.1, 0.6))), 4),
        "sharpeRatio": _dec(rng.uniform(0.3, 2.5), 4),
        "totalFollowerCount": str(followers + int(period * rng.uniform(0.2, 1.0))),
        "assetManagementScale": _dec(rng.uniform(5_000, 80_000), 4),
        "profitLossRatio": f"{_dec(rng.uniform(0.8, 3.2), 2)}:1",
        "tradingFrequency": _dec(orders / period, 2),
        "tradingDays": min(period, max(1, int(period * rng.uniform(0.5, 0.95)))),
    }


def _profit_sharings(rng: random.Random) -> list[dict]:
    records = []
    day = REFERENCE.date()
    for week in range(12):
        date = day - timedelta(weeks=week)
        iso = date.isocalendar()
        real = Decimal(_dec(rng.uniform(2, 60), 2))
        referral = Decimal(_dec(real * Decimal(str(rng.uniform(0, 0.2))), 2))
        records.append(
            {
                "totalProfitSharing": _dec(real + referral, 2),
                "weekOfYear": iso.week,
                "year": iso.year,
                "sharingDate": date.isoformat(),
                "recommendUserShare": _dec(referral, 2),
                "realProfitShare": _dec(real, 2),
            }
        )
    return records  # newest first


def _followers(rng: random.Random) -> list[dict]:
    followers = []
    user_id = 100_000_000
    count = rng.randint(23, 37)
    with_position = set(rng.sample(range(count), rng.randint(3, 5)))
    for i in range(count):
        user_id += rng.randint(1, 50)
        limit = rng.choice([100, 200, 300, 500, 880, 1000, 2000, 5000])
        margin = Decimal(_dec(limit * rng.uniform(0, 1), 2))
        followers.append(
            {
                "user_id": user_id,
                "has_position": i in with_position,
                "followerNickname": f"****{str(user_id)[-3:]}",
                "followAmountLimit": str(limit),
                "totalFollowMargin": _dec(margin, 2),
                "totalProfit": _dec(margin * Decimal(str(rng.uniform(-0.3, 0.5))), 2),
                "followRunningMills": str(rng.randint(1, 120) * 3_600_000 + rng.randint(0, 3_599_999)),
            }
        )
    return followers
