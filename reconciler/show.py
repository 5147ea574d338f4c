"""`leaderctl show`: read-only reports of one leader's exchange data, as tables or JSON.

Tables speak the config's words: `show config` is keyed by config path (the API field
beside it) with each value as `plan` shows it; codes read as words (cross/isolated,
long/short, closed) and times as RFC 3339. `--format json` keeps the exchange's names
and values, as sent.

Every cell and key is exchange text: tables show it through `escape.for_terminal`
(control characters visible, secrets masked); JSON escapes controls as JSON does and
masks secrets in every string.
"""
from __future__ import annotations

import json
from decimal import Decimal

from reconciler.redact import mask_tree
from reconciler.render.escape import for_terminal
from reconciler.spec import POSITION_TYPES, SENSITIVE_TEXT, SETTINGS, SYMBOLS_FIELD, SYMBOLS_PATH, Unreadable, iso_time

# what -> (columns for the text table); JSON shows every field the exchange sent
COLUMNS = {
    "symbols": ["symbolId", "leverage", "isLead"],
    "orders": ["symbolId", "isLong", "positionType", "leverage", "quantity", "openPrice", "markPrice", "profitRate", "totalFollowerCount"],
    "order-history": ["symbolId", "isLong", "positionType", "leverage", "openPrice", "closePrice", "profit", "status", "closeTime"],
    "trade-data": ["profitRate", "accumulatedProfit", "orderCount", "winRate", "currentFollowerCount", "totalFollowerCount", "sharpeRatio", "tradingDays"],
    "profit-sharing": ["sharingDate", "year", "weekOfYear", "totalProfitSharing", "realProfitShare", "recommendUserShare"],
    "followers": ["followerNickname", "followAmountLimit", "totalFollowMargin", "totalProfit", "followRunningMills"],
}


# exchange codes of the reports, in words (docs/exchange-api.md)
WORDS = {
    "isLong": {0: "short", 1: "long"},
    "positionType": {code: word for word, code in POSITION_TYPES.words.items()},
    "status": {1: "partially closed", 2: "closed"},
}
TIMES = ("openTime", "closeTime")  # epoch millis
DURATIONS = ("followRunningMills",)  # milliseconds


def fetch(client, what: str, *, all_pages: bool = False, page: int = 1, size: int = 10, period: int = 7):
    if what == "config":
        data = dict(client.get_config())
        for s in SETTINGS:
            if s.sensitive and data.get(s.api):
                data[s.api] = SENSITIVE_TEXT
        return data
    if what == "symbols":
        return client.get_symbols()
    if what == "orders":
        return client.get_current_orders()
    if what == "trade-data":
        return client.get_trade_data(period)
    if what == "profit-sharing":
        return client.get_profit_sharing_history()
    if what == "order-history":
        if all_pages:
            return list(client.iter_order_history(size=100))
        return client.get_order_history(page=page, size=size)
    if what == "followers":
        if all_pages:
            return list(client.iter_followers(size=100))
        return client.get_followers(page=page, size=size)
    raise ValueError(what)


def _plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def render(what: str, data, fmt: str) -> str:
    page = None
    if hasattr(data, "items") and hasattr(data, "pages"):
        page, data = data, data.items
    if fmt == "json":
        doc = data if page is None else {"pages": page.pages, "total": page.total, "list": data}
        return json.dumps(mask_tree(doc), indent=2, default=_plain) + "\n"
    if what == "config":
        return config_text(data)
    text = table(COLUMNS[what], [{k: worded(k, v) for k, v in row.items()} for row in data])
    if page is not None:
        pages = f"{page.pages} page{'s' if page.pages != 1 else ''}"
        text += f"({len(data)} shown of {page.total}; {pages}: --page N or --all)\n"
    else:
        text += f"({len(data)} row{'s' if len(data) != 1 else ''})\n"
    return text


def config_text(data: dict) -> str:
    """GET config as the config says it: one row per setting (path, value as plans show it,
    API field); fields that are no setting after them, as sent."""
    rows = []
    for s in SETTINGS:
        if s.api not in data:
            continue
        raw = data[s.api]
        try:
            value = "(none)" if raw in (None, "") else SENSITIVE_TEXT if s.sensitive else s.codec.to_text(s.codec.from_api(raw))
        except (Unreadable, TypeError, ValueError):
            value = f"{_cell(raw)} (unreadable)"
        rows.append((s.path, value, s.api))
    known = {s.api for s in SETTINGS}
    rows += [(SYMBOLS_PATH, _cell(v), k) if k == SYMBOLS_FIELD else (for_terminal(str(k)), _cell(v), "")
             for k, v in data.items() if k not in known]
    width = max((len(p) for p, _, _ in rows), default=0)
    vwidth = max((len(v) for _, v, _ in rows), default=0)
    return "".join(f"{p.ljust(width)}  {v.ljust(vwidth)}  {api}".rstrip() + "\n" for p, v, api in rows)


def worded(key: str, value):
    """One report cell in words: codes as words, times as RFC 3339, durations as d/h/m."""
    try:
        if key in WORDS and int(value) in WORDS[key]:
            return WORDS[key][int(value)]
        if key in TIMES and value not in (None, "", 0, "0"):
            return iso_time(int(value)) or value
        if key in DURATIONS and value not in (None, ""):
            minutes = int(value) // 60_000
            return f"{minutes // 1440}d {minutes // 60 % 24}h {minutes % 60}m"
    except (TypeError, ValueError):
        pass
    return value


def _cell(v) -> str:
    if isinstance(v, list):
        return for_terminal(", ".join(map(str, v)))
    return "" if v is None else for_terminal(str(_plain(v)))


def table(columns: list[str], rows: list[dict]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"
