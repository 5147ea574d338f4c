"""Plan and apply reports for a terminal, Terraform-style: `~` update, `+` add, `-` remove."""
from __future__ import annotations

import click

from reconciler.model import Action, LeaderOutcome, LeaderStatus
from reconciler.render import drift_words, plural, printable, result_summary, shown, summary

COLORS = {"~": "yellow", "+": "green", "-": "red", "!": "red", "ok": "green", "warn": "yellow"}
HEADS = {
    LeaderStatus.IN_SYNC: "in sync",
    LeaderStatus.BLOCKED: "BLOCKED (nothing will be written)",
    LeaderStatus.ERROR: "ERROR",
}


def _c(text: str, key: str, color: bool) -> str:
    return click.style(text, fg=COLORS[key], bold=key == "!") if color else text


def change_line(c, color: bool, explain: bool = False) -> str:
    if c.action is Action.UPDATE:
        line = _c("  ~", "~", color) + f" {c.path} ({c.field}): {shown(c, c.before)} -> {shown(c, c.after)}"
    elif c.action is Action.ADD:
        line = _c("  +", "+", color) + f" {c.path}: {shown(c, c.after)}"
    else:
        line = _c("  -", "-", color) + f" {c.path}: {shown(c, c.before)}"
    if explain and c.source is not None:
        line += f"    # from {printable(c.source)}" + (f" ({c.source.origin})" if c.source.origin else "")
    return line


def leader_lines(lp, color: bool, explain: bool = False) -> list[str]:
    n = len(lp.changes)
    head = HEADS.get(lp.status) or plural(n, "change")
    if lp.ignored:
        head += f" ({plural(len(lp.ignored), 'path')} ignored)"
    lines = [f"leader {lp.name}: {head}"]
    lines += [change_line(c, color, explain) for c in lp.changes]
    if lp.follower_removals:
        lines.append(_c("  -", "-", color) + f" followers (enforced on every apply): {', '.join(map(str, lp.follower_removals))}")
    for p in lp.problems:
        code = f" [{p.code}]" if p.code is not None else ""
        lines.append(_c("  !", "!", color) + f"{code} {printable(p.message)}")
    if lp.held is not None:
        lines.append(_c("  !", "warn", color) + f" {lp.held.line()}: apply writes nothing for this leader before then")
    if explain and lp.ignored:
        lines.append(f"  ignored (left as on the exchange): {', '.join(lp.ignored)}")
    return lines


def plan(plan, color: bool = False, explain: bool = False) -> str:
    lines = []
    for lp in plan.leaders:
        lines += leader_lines(lp, color, explain)
    s = summary(plan)
    lines.append("")
    lines.append(f"Plan: {plural(s['changes'], 'leader')} with changes, {s['in_sync']} in sync, "
                 f"{s['blocked']} blocked, {plural(s['error'], 'error')}."
                 + (f" {held} held by the policy's windows (apply writes nothing for them now)." if (held := plan.held()) else ""))
    return "\n".join(lines) + "\n"


def drift_leader_lines(lp, color: bool) -> list[str]:
    """One leader of a drift report: what changed outside the config (follower removals are
    not drift: they cannot be observed, docs/contract.md §3)."""
    ignored = f" ({plural(len(lp.ignored), 'path')} ignored)" if lp.ignored else ""
    if lp.status is LeaderStatus.CHANGES and lp.changes:
        lines = [f"leader {lp.name}: drifted ({plural(len(lp.changes), 'change')}){ignored}"]
        for c in lp.changes:
            key = "~" if c.action is Action.UPDATE else "+" if c.action is Action.ADD else "-"
            lines.append(_c(f"  {key}", key, color) + f" {drift_words(c)}")
        return lines
    if lp.status is LeaderStatus.IN_SYNC:
        return [f"leader {lp.name}: no drift{ignored}"]
    lines = [f"leader {lp.name}: {HEADS.get(lp.status, str(lp.status))}, not checked for drift"]
    for p in lp.problems:
        code = f" [{p.code}]" if p.code is not None else ""
        lines.append(_c("  !", "!", color) + f"{code} {printable(p.message)}")
    return lines


def drift(plan, color: bool = False, explain: bool = False) -> str:
    lines = []
    for lp in plan.leaders:
        lines += drift_leader_lines(lp, color)
    drifted = sum(1 for lp in plan.leaders if lp.status is LeaderStatus.CHANGES and lp.changes)
    s = summary(plan)
    lines.append("")
    head = f"Drift: {plural(drifted, 'leader')} drifted" if drifted else "No drift"
    lines.append(f"{head}: {s['in_sync']} in sync, {s['blocked']} blocked, {plural(s['error'], 'error')}.")
    return "\n".join(lines) + "\n"


def result(result, color: bool = False) -> str:
    lines = []
    for r in result.leaders:
        key = "ok" if r.result in (LeaderOutcome.APPLIED, LeaderOutcome.IN_SYNC) else ("warn" if r.result is LeaderOutcome.PARTIAL else "!")
        lines.append(f"leader {r.plan.name}: " + _c(r.result.replace("_", " "), key, color))
        for user_id, state in r.removals.items():
            lines.append(f"  follower {user_id}: {state.replace('_', ' ')}")
        lines += [f"  {printable(m)}" for m in r.messages]
    s = result_summary(result)
    lines.append("")
    counts = ", ".join(f"{s[o.value]} {o.value.replace('_', ' ')}" for o in LeaderOutcome if o not in (LeaderOutcome.NOT_STARTED, LeaderOutcome.HELD) or s[o.value])
    lines.append(f"Apply: {counts}." + (" Interrupted: no new write was started after the signal." if result.interrupted else "")
                 + (" Windows ignored (--ignore-windows)." if result.ignored_windows else ""))
    return "\n".join(lines) + "\n"
