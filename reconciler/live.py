"""Live state: the exchange's answers turned into the `Live` model, checked.

Only this module and `spec` know how the exchange spells the config; the client
hands over raw `data`, the planner gets values it can compare. An answer that is
not what the documents describe (wrong types, missing fields, NaN, an empty
config object, symbols that are not symbol IDs) raises `MalformedAnswer`, which
makes that one leader `error`, never a traceback and never a plan built on it.
"""
from __future__ import annotations

import re
from dataclasses import replace

from reconciler.errors import LeaderctlError
from reconciler.model import LeadOrder, Live, Settings
from reconciler.spec import ON_OFF, SETTINGS, SYMBOL_MAX_LENGTH, SYMBOLS_FIELD, Presence, Unreadable

LEADER = "/api/v2/copy-trading/leader"


class MalformedAnswer(LeaderctlError):
    """The exchange answered something leaderctl cannot trust (never echoes the values)."""

    def __init__(self, endpoint: str, what: str):
        self.endpoint = endpoint
        super().__init__(
            f"the exchange's answer to GET {LEADER}{endpoint} is malformed: {what}; "
            "nothing is planned for this leader (check the endpoint URL; if it persists, report it)"
        )


def settings_from_config(data) -> Settings:
    """GET config `data` -> Settings; every documented field checked."""
    if not isinstance(data, dict):
        raise MalformedAnswer("/config", "expected an object")
    if not data:
        raise MalformedAnswer("/config", "an empty config object")
    values = {}
    for s in SETTINGS:
        raw = data.get(s.api)
        if raw is None or (raw == "" and s.presence is not Presence.REQUIRED):
            if s.presence is Presence.REQUIRED:
                raise MalformedAnswer("/config", f"{s.api} is missing")
            continue
        try:
            values[s.attr] = s.codec.from_api(raw)
        except Unreadable as e:
            raise MalformedAnswer("/config", f"{s.api}: {e}") from None
    if values.get("cooldown_enabled") is False:
        # times are meaningless (the exchange resets them to 0) when cool-down is off
        values.pop("cooldown_start", None)
        values.pop("cooldown_end", None)
    return Settings(**values)


_NOT_IN_A_SYMBOL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def symbol_ids(raw, endpoint: str, what: str) -> tuple[str, ...]:
    """Symbol IDs as the exchange spells them: any text, but not empty, not huge, and without
    spaces or control characters (which could only hide one ID behind another, or move a cursor)."""
    if not isinstance(raw, list):
        raise MalformedAnswer(endpoint, f"{what} is not a list")
    for s in raw:
        if not isinstance(s, str) or not 0 < len(s) <= 2 * SYMBOL_MAX_LENGTH or _NOT_IN_A_SYMBOL.search(s):
            raise MalformedAnswer(endpoint, f"{what} holds something that is not a symbol ID")
    return tuple(raw)


def config_symbols(data: dict) -> tuple[str, ...] | None:
    """The enabled pairs from GET config, or None when it does not say (then GET symbols does)."""
    raw = data.get(SYMBOLS_FIELD)
    return None if raw is None else symbol_ids(raw, "/config", SYMBOLS_FIELD)


def _items(data, endpoint: str) -> tuple[list[dict], tuple[str, ...]]:
    """A list answer of objects with a `symbolId` each: (the objects, their symbol IDs)."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedAnswer(endpoint, "expected a list of objects")
    return data, symbol_ids([item.get("symbolId") for item in data], endpoint, "symbolId")


def from_symbols(data) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """GET symbols -> (available, enabled)."""
    data, available = _items(data, "/symbols")
    enabled = []
    for item, symbol in zip(data, available):
        try:
            lead = ON_OFF.from_api(item.get("isLead"))
        except Unreadable:
            raise MalformedAnswer("/symbols", "isLead is not 0 or 1") from None
        if lead:
            enabled.append(symbol)
    return available, tuple(enabled)


ORDER_POSITION_TYPES = {0: "cross", 1: "isolated"}  # orders/current positionType


def from_orders(data) -> tuple[LeadOrder, ...]:
    """GET orders/current -> the lead orders (symbol and position type)."""
    data, symbols = _items(data, "/orders/current")
    orders = []
    for item, symbol in zip(data, symbols):
        raw = item.get("positionType")
        code = int(raw) if isinstance(raw, (int, str)) and re.fullmatch(r"-?[0-9]{1,3}", str(raw)) else None
        orders.append(LeadOrder(symbol, ORDER_POSITION_TYPES.get(code)))  # unknown: the exchange decides
    return tuple(orders)


def live_from_api(config: dict, symbols=None, orders=None) -> Live:
    """The Live model from raw `data` (symbols/orders None: not read)."""
    enabled = config_symbols(config)
    return with_reads(Live(settings_from_config(config), enabled or ()), enabled is None, symbols, orders)


def with_reads(live: Live, symbols_missing: bool, symbols=None, orders=None) -> Live:
    """`live` with what GET symbols and GET orders/current answered (None: not read).

    `symbols_missing`: the config answer did not list the enabled pairs, so the
    symbols' isLead flags do."""
    if symbols_missing and symbols is None:
        raise MalformedAnswer("/config", f"{SYMBOLS_FIELD} is missing (and the symbols were not read)")
    available, enabled = (live.available, live.symbols) if symbols is None else from_symbols(symbols)
    return replace(
        live,
        symbols=enabled if symbols_missing else live.symbols,
        available=available,
        lead_orders=live.lead_orders if orders is None else from_orders(orders),
    )


def refresh_config(live: Live, config: dict) -> Live:
    """`live` with a freshly read config (symbols and orders as they were)."""
    enabled = config_symbols(config)
    return replace(live, settings=settings_from_config(config), symbols=enabled if enabled is not None else live.symbols)
