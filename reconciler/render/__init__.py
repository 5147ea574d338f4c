"""Renderers: the same Plan or Result as text (terminals), markdown (PR comments) or JSON (machines).

Values reach the renderers typed; each is formatted here, once, by its setting's
codec, and a sensitive value is shown as "(sensitive)" whatever it is. Text that
came from the exchange (symbol IDs, messages) goes through `escape`, the one
module that knows each sink's escaping: nothing the exchange sends can move a
terminal's cursor or render as markdown; every known secret is masked by value.
"""
from __future__ import annotations

from importlib import import_module

from reconciler import redact
from reconciler.model import Change, LeaderOutcome
from reconciler.render.escape import for_terminal
from reconciler.spec import SENSITIVE_TEXT

_MODULES = {"json": "as_json", "markdown": "as_markdown", "text": "as_text"}


def _renderer(fmt: str):
    """The renderer module of one format, imported only when used."""
    return import_module(f"reconciler.render.{_MODULES[fmt]}")


def render_plan(plan, fmt: str, *, color: bool = False, explain: bool = False) -> str:
    out = _renderer(fmt).plan(plan, color=color, explain=explain)
    return out if fmt == "json" else redact.mask(out)  # JSON masks its values before it is written


def render_result(result, fmt: str, *, color: bool = False) -> str:
    out = _renderer(fmt).result(result, color=color)
    return out if fmt == "json" else redact.mask(out)


def printable(text: object) -> str:
    """Exchange text for a terminal line (`escape.for_terminal`): masked, controls as visible escapes."""
    return for_terminal(str(text))


def shown(change: Change, value) -> str:
    """One value of a change as plans show it (text and markdown)."""
    if value is None:
        return "(none)"
    if change.sensitive:
        return SENSITIVE_TEXT
    if change.setting is None:
        return printable(value)
    return printable(change.setting.codec.to_text(value))


def summary(plan) -> dict:
    """The plan's counts (`Plan.summary`): leaders, changes, in_sync, blocked, error."""
    return plan.summary()


def result_summary(result) -> dict:
    counts = {"leaders": len(result.leaders)}
    counts.update({o.value: result.count(o) for o in LeaderOutcome})
    return counts
