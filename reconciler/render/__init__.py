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
from reconciler.model import Action, Change, LeaderOutcome
from reconciler.render.escape import for_terminal
from reconciler.spec import SENSITIVE_TEXT

_MODULES = {"json": "as_json", "markdown": "as_markdown", "text": "as_text"}


def _renderer(fmt: str):
    """The renderer module of one format, imported only when used."""
    return import_module(f"reconciler.render.{_MODULES[fmt]}")


def render_plan(plan, fmt: str, *, color: bool = False, explain: bool = False) -> str:
    out = _renderer(fmt).plan(plan, color=color, explain=explain)
    return out if fmt == "json" else redact.mask(out)  # JSON masks its values before it is written


def render_drift(plan, fmt: str, *, color: bool = False) -> str:
    """A plan read as drift (`leaderctl drift`): which side changed, follower removals left out.
    JSON is the plan JSON (docs/contract.md §4)."""
    if fmt == "json":
        return render_plan(plan, fmt)
    return redact.mask(_renderer(fmt).drift(plan, color=color))


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


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 leader`, `2 leaders`, `0 leaders` (`many` for irregular words)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def drift_words(change: Change, *, field: bool = True) -> str:
    """One drifted value in words: which side has what (never a sensitive value). `field`:
    the API name after the path."""
    name = f"{change.path} ({change.field})" if field else change.path
    if change.sensitive:
        return f"{name} changed outside the config (the value is sensitive and not shown)"
    if change.action is Action.UPDATE:
        return (f"{name} changed outside the config: "
                f"the exchange has {shown(change, change.before)}, the config says {shown(change, change.after)}")
    if change.action is Action.ADD:
        return f"{change.path}: {shown(change, change.after)} changed outside the config: disabled on the exchange, the config enables it"
    return f"{change.path}: {shown(change, change.before)} changed outside the config: enabled on the exchange, not in the config"


def change_words(change: Change, *, drift: bool = True) -> str:
    """One change in words, values included (never a sensitive one), for annotations and
    the webhook: as drift (which side has what), or as what the plan will write."""
    if drift:
        return drift_words(change)
    if change.sensitive:
        return f"{change.path} ({change.field}): will be changed (the value is sensitive and not shown)"
    if change.action is Action.UPDATE:
        return f"{change.path} ({change.field}): will change from {shown(change, change.before)} to {shown(change, change.after)}"
    if change.action is Action.ADD:
        return f"{change.path}: {shown(change, change.after)} will be enabled"
    return f"{change.path}: {shown(change, change.before)} will be disabled"


def summary(plan) -> dict:
    """The plan's counts (`Plan.summary`): leaders, changes, in_sync, blocked, error."""
    return plan.summary()


def result_summary(result) -> dict:
    counts = {"leaders": len(result.leaders)}
    counts.update({o.value: result.count(o) for o in LeaderOutcome})
    return counts
