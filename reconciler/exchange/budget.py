"""The weight budget learnt from the exchange: `GET /api/v1/exchangeInfo`'s `rateLimits`.

Toobit's copy-trading notes do not publish the budget of these endpoints (docs/exchange-api.md §3);
its exchangeInfo is read the way Binance-style APIs publish theirs (a GUESS, not in the
notes): an unsigned GET answering a JSON object (optionally wrapped in {"code", "data"})
with `rateLimits`, a list of entries {"rateLimitType", "interval", "intervalNum", "limit"}.

`weight_per_minute(answer)` is what may be spent in any minute so that no REQUEST_WEIGHT
entry is exceeded, or None when the answer cannot be trusted (the caller then uses
FALLBACK, the conservative 1200):
- entries with rateLimitType REQUEST_WEIGHT count (ORDERS, RAW_REQUESTS... are not ours);
- interval MINUTE/HOUR/DAY with an integer intervalNum >= 1 and an integer limit: the
  per-minute share floor(limit / minutes of the interval), the smallest of them wins;
- interval SECOND, or any other or malformed REQUEST_WEIGHT entry: None (a per-minute
  limiter admits a whole minute's budget at once, so it cannot keep a per-second limit);
- no REQUEST_WEIGHT entry, or a result outside [MIN_REASONABLE, MAX_REASONABLE]: None.
The learnt budget is only ever lowered by LEADERCTL_WEIGHT_PER_MINUTE (session.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PATH = "/api/v1/exchangeInfo"
FALLBACK = 1200  # Toobit's usual per-IP budget: what is used when exchangeInfo cannot be read
MIN_REASONABLE = 10
MAX_REASONABLE = 100_000
CACHE_SECONDS = 3600.0  # a learnt budget is kept in the ledger this long (per endpoint key)
_MINUTES = {"MINUTE": 1, "HOUR": 60, "DAY": 1440}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def weight_per_minute(answer: Any) -> int | None:
    """The per-minute weight budget `answer` (exchangeInfo's JSON) publishes, or None (module doc)."""
    if isinstance(answer, Mapping) and "rateLimits" not in answer and isinstance(answer.get("data"), Mapping):
        answer = answer["data"]
    if not isinstance(answer, Mapping):
        return None
    entries = answer.get("rateLimits")
    if not isinstance(entries, list):
        return None
    budgets = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            return None
        if entry.get("rateLimitType") != "REQUEST_WEIGHT":
            continue
        minutes = _MINUTES.get(entry.get("interval")) if isinstance(entry.get("interval"), str) else None
        count, limit = _int(entry.get("intervalNum", 1)), _int(entry.get("limit"))
        if minutes is None or count is None or count < 1 or limit is None or count > 1000:
            return None
        budgets.append(limit // (minutes * count))
    if not budgets:
        return None
    budget = min(budgets)
    return budget if MIN_REASONABLE <= budget <= MAX_REASONABLE else None
