"""`leaderctl show`: read-only reports of one leader's exchange data, as tables or JSON.

Every cell and key is exchange text: tables show it through `escape.for_terminal`
(control characters visible, secrets masked); JSON escapes controls as JSON does and
masks secrets in every string.
"""
from __future__ import annotations

import json
from decimal import Decimal

from reconciler.redact import mask_tree
from reconciler.render.escape import for_terminal
from reconciler.spec import SENSITIVE_TEXT, SETTINGS

# what -> (columns for the text table); JSON shows every field the exchange sent
COLUMNS = {
    "symbols": ["symbolId", "leverage", "isLead"],
    "orders": ["symbolId", "isLong", "positionType", "leverage", "quantity", "openPrice", "markPrice", "profitRate", "totalFollowerCount"],
    "order-history": ["symbolId", "isLong", "positionType", "leverage", "openPrice", "closePrice", "profit", "status", "closeTime"],
    "trade-data": ["profitRate", "accumulatedProfit", "orderCount", "winRate", "currentFollowerCount", "totalFollowerCount", "sharpeRatio", "tradingDays"],
    "profit-sharing": ["sharingDate", "year", "weekOfYear", "totalProfitSharing", "realProfitShare", "recommendUserShare"],
    "followers": ["followerNickname", "followAmountLimit", "totalFollowMargin", "totalProfit", "followRunningMills"],
}


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
        keys = {k: for_terminal(str(k)) for k in data}
        width = max(map(len, keys.values()), default=0)
        return "".join(f"{keys[k].ljust(width)}  {_cell(v)}\n" for k, v in data.items())
    text = table(COLUMNS[what], data)
    if page is not None:
        text += f"({len(data)} shown of {page.total}; {page.pages} page(s): --page N or --all)\n"
    else:
        text += f"({len(data)} row{'s' if len(data) != 1 else ''})\n"
    return text


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
