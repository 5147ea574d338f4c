"""Renderers: the same Plan or Result as text (terminals), markdown (PR comments) or JSON (machines).

Values reach the renderers typed; each is formatted here, once, by its setting's
codec, and a sensitive value is shown as "(sensitive)" whatever it is. Text that
came from the exchange (symbol IDs, messages) is made printable first: control
characters are escaped, so nothing the exchange sends can move a terminal's
cursor or break out of a markdown block.
"""
from __future__ import annotations

import re
from importlib import import_module

from reconciler.model import Change, LeaderOutcome, LeaderStatus
from reconciler.spec import SENSITIVE_TEXT

_MODULES = {"json": "as_json", "markdown": "as_markdown", "text": "as_text"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _renderer(fmt: str):
    """The renderer module of one format, imported only when used."""
    return import_module(f"reconciler.render.{_MODULES[fmt]}")


def render_plan(plan, fmt: str, *, color: bool = False, explain: bool = False) -> str:
    return _renderer(fmt).plan(plan, color=color, explain=explain)


def render_result(result, fmt: str, *, color: bool = False) -> str:
    return _renderer(fmt).result(result, color=color)


def printable(text: object) -> str:
    """Control characters (escape codes, newlines, bidi overrides) as visible \\x.. escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def shown(change: Change, value) -> str:
    """One value of a change as plans show it (text and markdown)."""
    if value is None:
        return "(none)"
    if change.sensitive:
        return SENSITIVE_TEXT
    if change.setting is None:
        return printable(value)
    return printable(change.setting.codec.to_text(value))


def as_json_value(change: Change, value):
    """One value of a change in the plan JSON (CONTRACT §4)."""
    if value is None:
        return None
    if change.sensitive:
        return SENSITIVE_TEXT
    return value if change.setting is None else change.setting.codec.to_json(value)


def summary(plan) -> dict:
    """CONTRACT §4's order: leaders, changes, in_sync, blocked, error."""
    order = (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC, LeaderStatus.BLOCKED, LeaderStatus.ERROR)
    return {"leaders": len(plan.leaders), **{status.value: plan.count(status) for status in order}}


def result_summary(result) -> dict:
    counts = {"leaders": len(result.leaders)}
    counts.update({o.value: result.count(o) for o in LeaderOutcome})
    return counts
