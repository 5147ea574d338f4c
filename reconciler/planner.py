"""The planner: a pure function of (desired, live) -> LeaderPlan.

No network, no clock, no environment: everything it needs is in its arguments,
so every rule here is testable with two dataclasses. It loops over
`spec.SETTINGS`; the live-state rules are `spec.RULES` checked LIVE.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from reconciler.model import Action, Change, LeaderPlan, LeaderSpec, LeaderStatus, Live, Problem, Settings
from reconciler.spec import RULE, SETTINGS, SYMBOLS_FIELD, SYMBOLS_PATH, Send, managed

ALLOWED_ORDER_TYPES = {"all": {"cross", "isolated", None}, "cross": {"cross", None}, "isolated": {"isolated", None}}


@dataclass(frozen=True)
class Target:
    """What a leader should look like once `ignore:` has taken the live values."""

    settings: Settings
    symbols: tuple[str, ...]


def target(leader: LeaderSpec, live: Live) -> Target:
    """The desired state with every ignored path replaced by its live value."""
    if not leader.ignored:
        return Target(leader.settings, leader.symbols)
    taken = {s.attr: getattr(live.settings, s.attr) for s in SETTINGS if leader.ignores(s.path)}
    symbols = live.symbols if leader.ignores(SYMBOLS_PATH) else leader.symbols
    return Target(replace(leader.settings, **taken), symbols)


def setting_changes(leader: LeaderSpec, want: Settings, live: Settings) -> list[Change]:
    changes = []
    for s in SETTINGS:
        if not managed(s, want) or leader.ignores(s.path):
            continue
        after, before = getattr(want, s.attr), getattr(live, s.attr)
        if after == before:  # Decimal("0.10") == Decimal("0.1"); ints and bools by value
            continue
        changes.append(Change(s.path, s.api, Action.UPDATE, before, after, setting=s, source=leader.where(s.path)))
    return changes


def symbol_changes(leader: LeaderSpec, want: tuple[str, ...], live: tuple[str, ...]) -> list[Change]:
    have, wanted = set(live), set(want)
    source = leader.where(SYMBOLS_PATH)
    added = [Change(SYMBOLS_PATH, SYMBOLS_FIELD, Action.ADD, after=s, source=source) for s in want if s not in have]
    removed = [Change(SYMBOLS_PATH, SYMBOLS_FIELD, Action.REMOVE, before=s) for s in sorted(have - wanted)]
    return added + removed


@dataclass(frozen=True)
class Needs:
    """Which reads beyond GET config a leader's plan needs (the economy of docs/contract.md §8)."""

    symbols: bool  # GET symbols: is a pair to enable available?
    orders: bool  # GET orders/current: may a pair be disabled, the position type change?


def needs(leader: LeaderSpec, live: Live) -> Needs:
    """Pure: decided from the desired state and the live config alone."""
    want = target(leader, live)
    enabling = not set(want.symbols) <= set(live.symbols)
    disabling = not set(live.symbols) <= set(want.symbols)
    wanted_type = want.settings.position_type
    retyping = wanted_type is not None and wanted_type != live.settings.position_type
    return Needs(symbols=enabling, orders=disabling or retyping)


def problems(leader: LeaderSpec, want: Target, live: Live, changes: list[Change]) -> list[Problem]:
    """What the exchange would refuse for a documented reason: found before any write."""
    found = []
    if live.available is not None and not leader.ignores(SYMBOLS_PATH):
        available = set(live.available)
        for i, s in enumerate(want.symbols):  # the desired list as written: item i is where s was written
            if s not in available:
                found.append(replace(_problem("symbol_available", symbol=s), path=f"{SYMBOLS_PATH}.{i}"))
    busy = {o.symbol for o in live.lead_orders or ()}
    for c in changes:
        if c.field == SYMBOLS_FIELD and c.action is Action.REMOVE and c.before in busy:
            found.append(_problem("symbol_in_use", symbol=c.before))
    wanted = want.settings.position_type
    if wanted is not None and wanted != live.settings.position_type:
        held = sorted({o.position_type for o in live.lead_orders or () if o.position_type not in ALLOWED_ORDER_TYPES[wanted]})
        if held:
            found.append(_problem("position_type_held", wanted=wanted, held=", ".join(held)))
    return found


def _problem(rule_name: str, **values) -> Problem:
    rule = RULE[rule_name]
    return Problem(rule.say(**values), rule.code, rule.path)


def put_body(want: Target, live: Live) -> dict:
    """The full PUT config body for the target state (API names, API types)."""
    body = {}
    for s in SETTINGS:
        if not managed(s, want.settings):
            continue  # not stated (e.g. referral omitted: left as it is), or its switch is off
        value = getattr(want.settings, s.attr)
        if s.send is Send.WHEN_CHANGED and value == getattr(live.settings, s.attr):
            continue
        body[s.api] = s.codec.to_api(value)
    body[SYMBOLS_FIELD] = list(want.symbols)
    return body


def fingerprint(live: Live) -> str:
    """A digest of what the plan was computed from (without sensitive values)."""
    data = {
        "settings": {s.attr: getattr(live.settings, s.attr) for s in SETTINGS if not s.sensitive},
        "symbols": sorted(live.symbols),
        "available": None if live.available is None else sorted(live.available),
        "lead_orders": None if live.lead_orders is None else sorted([o.symbol, o.position_type or ""] for o in live.lead_orders),
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_leader(leader: LeaderSpec, live: Live) -> LeaderPlan:
    want = target(leader, live)
    changes = setting_changes(leader, want.settings, live.settings) + symbol_changes(leader, want.symbols, live.symbols)
    found = problems(leader, want, live, changes)
    status = LeaderStatus.BLOCKED if found else (LeaderStatus.CHANGES if changes else LeaderStatus.IN_SYNC)
    return LeaderPlan(
        name=leader.name,
        status=status,
        changes=changes,
        follower_removals=leader.follower_removals,
        problems=found,
        ignored=leader.ignored,
        body=put_body(want, live) if changes and not found else None,
        live_fingerprint=fingerprint(live),
    )


def error_plan(leader: LeaderSpec, message: str, code: int | None = None) -> LeaderPlan:
    return LeaderPlan(
        name=leader.name,
        status=LeaderStatus.ERROR,
        follower_removals=leader.follower_removals,
        problems=[Problem(message, code)],
        ignored=leader.ignored,
    )


def remaining(leader: LeaderSpec, live: Live) -> list[Change]:
    """What still differs after a write (the read-back check)."""
    want = target(leader, live)
    return setting_changes(leader, want.settings, live.settings) + symbol_changes(leader, want.symbols, live.symbols)

