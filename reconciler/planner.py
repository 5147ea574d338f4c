"""The planner: a pure function of (desired, live) -> LeaderPlan.

No network, no clock, no environment: everything it needs is in its arguments,
so every rule here is testable with two dataclasses.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from reconciler.fields import BY_ATTR, FIELDS, SENSITIVE, SYMBOLS_FIELD, SYMBOLS_PATH
from reconciler.model import Change, LeaderPlan, LeaderSpec, Live, Problem, Settings

ALLOWED_ORDER_TYPES = {"all": {"cross", "isolated", None}, "cross": {"cross", None}, "isolated": {"isolated", None}}


def managed(desired: Settings, attr: str) -> bool:
    """Whether the desired state says anything about this field."""
    if getattr(desired, attr) is None:
        return False
    if attr in ("cooldown_start", "cooldown_end"):
        return desired.cooldown_enabled is True
    if attr == "invite_code":
        return desired.invite_required is True
    return True


def display(attr: str, value):
    """A value as plans show it: decimals as plain strings, everything else as is."""
    if value is None:
        return None
    if BY_ATTR[attr].sensitive:
        return SENSITIVE
    if hasattr(value, "as_tuple"):
        return format(value, "f")
    return value


def setting_changes(desired: Settings, live: Settings) -> list[Change]:
    changes = []
    for f in FIELDS:
        if not managed(desired, f.attr):
            continue
        want, have = getattr(desired, f.attr), getattr(live, f.attr)
        if want == have:  # Decimal("0.10") == Decimal("0.1"); ints and bools by value
            continue
        changes.append(
            Change(
                path=f.path,
                field=f.api,
                action="update",
                before=display(f.attr, have),
                after=display(f.attr, want),
                sensitive=f.sensitive,
            )
        )
    return changes


def symbol_changes(desired: tuple[str, ...], live: tuple[str, ...]) -> list[Change]:
    have, want = set(live), set(desired)
    added = [Change(SYMBOLS_PATH, SYMBOLS_FIELD, "add", after=s) for s in desired if s not in have]
    removed = [Change(SYMBOLS_PATH, SYMBOLS_FIELD, "remove", before=s) for s in sorted(have - want)]
    return added + removed


def problems(spec: LeaderSpec, live: Live, changes: list[Change]) -> list[Problem]:
    """What the exchange would refuse for a documented reason: found before any write."""
    found = []
    available = set(live.available)
    for s in spec.symbols:
        if s not in available:
            found.append(Problem(f"symbol {s} is not among this leader's available pairs: remove it from symbols", None, SYMBOLS_PATH))
    busy = {o.symbol for o in live.lead_orders}
    for c in changes:
        if c.field == SYMBOLS_FIELD and c.action == "remove" and c.before in busy:
            found.append(
                Problem(
                    f"symbol {c.before} has current lead orders and cannot be disabled (the exchange would answer -32090): close them first or keep it in symbols",
                    -32090,
                    SYMBOLS_PATH,
                )
            )
    want = spec.settings.position_type
    if want is not None and want != live.settings.position_type:
        held = sorted({o.position_type for o in live.lead_orders if o.position_type not in ALLOWED_ORDER_TYPES[want]})
        if held:
            found.append(
                Problem(
                    f"position_type cannot change to {want} while current lead orders hold {', '.join(held)} positions (the exchange would answer -32093): close them first",
                    -32093,
                    "settings.position_type",
                )
            )
    return found


def put_body(spec: LeaderSpec, live: Live) -> dict:
    """The full PUT config body for the desired state (API names, API types)."""
    d = spec.settings
    body = {}
    for f in FIELDS:
        if f.attr in ("invite_code", "referral_enabled", "referral_rate", "cooldown_start", "cooldown_end"):
            continue
        body[f.api] = f.codec.to_api(getattr(d, f.attr))
    if d.cooldown_enabled:
        if d.cooldown_start is not None:
            body[BY_ATTR["cooldown_start"].api] = d.cooldown_start
        body[BY_ATTR["cooldown_end"].api] = d.cooldown_end
    body[SYMBOLS_FIELD] = list(spec.symbols)
    if d.referral_enabled is not None:  # omitted = keep the switch as it is
        body[BY_ATTR["referral_enabled"].api] = BY_ATTR["referral_enabled"].codec.to_api(d.referral_enabled)
        if d.referral_rate is not None:
            body[BY_ATTR["referral_rate"].api] = BY_ATTR["referral_rate"].codec.to_api(d.referral_rate)
    if managed(d, "invite_code") and d.invite_code != live.settings.invite_code:
        body[BY_ATTR["invite_code"].api] = d.invite_code
    return body


def fingerprint(live: Live) -> str:
    """A digest of what the plan was computed from (without the invite code)."""
    data = asdict(live)
    data["settings"].pop("invite_code", None)
    data["symbols"] = sorted(data["symbols"])
    data["available"] = sorted(data["available"])
    data["lead_orders"] = sorted(json.dumps(o, sort_keys=True) for o in data["lead_orders"])
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_leader(spec: LeaderSpec, live: Live) -> LeaderPlan:
    changes = setting_changes(spec.settings, live.settings) + symbol_changes(spec.symbols, live.symbols)
    found = problems(spec, live, changes)
    status = "blocked" if found else ("changes" if changes else "in_sync")
    return LeaderPlan(
        name=spec.name,
        status=status,
        changes=changes,
        follower_removals=spec.follower_removals,
        problems=found,
        body=put_body(spec, live) if changes and not found else None,
        live_fingerprint=fingerprint(live),
    )


def error_plan(spec: LeaderSpec, message: str, code: int | None = None) -> LeaderPlan:
    return LeaderPlan(name=spec.name, status="error", follower_removals=spec.follower_removals, problems=[Problem(message, code)])
