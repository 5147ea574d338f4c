"""Live state: the exchange's answers turned into the `Live` model.

Only this module and `fields` know how the exchange spells the config; the
client hands over raw `data`, the planner gets values it can compare.
"""
from __future__ import annotations

from concurrent.futures import Executor

from reconciler.fields import FIELDS, POSITION_TYPES, SYMBOLS_FIELD
from reconciler.model import LeadOrder, Live, Settings

_ORDER_POSITION = {v: k for k, v in POSITION_TYPES.items()}


def settings_from_api(data: dict) -> Settings:
    values = {}
    for f in FIELDS:
        raw = data.get(f.api)
        try:
            values[f.attr] = f.codec.from_api(raw)
        except (TypeError, ValueError):
            raise ValueError(f"the exchange sent an unreadable {f.api}") from None
    if values.get("cooldown_enabled") is False:
        # times are meaningless (the exchange resets them to 0) when cool-down is off
        values["cooldown_start"] = values["cooldown_end"] = None
    return Settings(**values)


def live_from_api(config: dict, symbols: list[dict], orders: list[dict]) -> Live:
    enabled = config.get(SYMBOLS_FIELD)
    if enabled is None:  # fall back to the symbols endpoint's isLead flags
        enabled = [s.get("symbolId") for s in symbols if str(s.get("isLead")) == "1"]
    lead_orders = []
    for o in orders:
        raw = o.get("positionType")
        try:
            kind = _ORDER_POSITION.get(int(raw)) if raw is not None else None
        except (TypeError, ValueError):
            kind = None
        lead_orders.append(LeadOrder(symbol=str(o.get("symbolId")), position_type=kind))
    return Live(
        settings=settings_from_api(config),
        symbols=tuple(str(s) for s in enabled),
        available=tuple(str(s.get("symbolId")) for s in symbols),
        lead_orders=tuple(lead_orders),
    )


def fetch_live(client, pool: Executor | None = None) -> Live:
    """GET config, symbols and current orders (concurrently when given a pool)."""
    calls = (client.get_config, client.get_symbols, client.get_current_orders)
    if pool is None:
        config, symbols, orders = (c() for c in calls)
    else:
        futures = [pool.submit(c) for c in calls]
        config, symbols, orders = (f.result() for f in futures)
    return live_from_api(config or {}, symbols or [], orders or [])


def refresh_config(live: Live, config: dict) -> Live:
    """`live` with a freshly read config (symbols and orders as they were)."""
    from dataclasses import replace

    enabled = config.get(SYMBOLS_FIELD)
    return replace(
        live,
        settings=settings_from_api(config),
        symbols=tuple(str(s) for s in enabled) if enabled is not None else live.symbols,
    )
