"""Plan and apply reports for a terminal, Terraform-style: `~` update, `+` add, `-` remove."""
from __future__ import annotations

from datetime import datetime, timezone

from reconciler.render import result_summary, summary

COLORS = {"~": "33", "+": "32", "-": "31", "!": "1;31", "ok": "32", "warn": "33"}


def _c(text: str, key: str, color: bool) -> str:
    return f"\033[{COLORS[key]}m{text}\033[0m" if color else text


def value(v, field: str = "") -> str:
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) and field in ("unLeadStartTime", "unLeadEndTime") and v > 0:
        try:
            iso = datetime.fromtimestamp(v / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            return f"{v} ({iso})"
        except (OverflowError, ValueError, OSError):
            return str(v)
    if isinstance(v, str) and v != "(sensitive)":
        return f'"{v}"'
    return str(v)


def change_line(c, color: bool) -> str:
    if c.action == "update":
        return _c("  ~", "~", color) + f" {c.path} ({c.field}): {value(c.before, c.field)} -> {value(c.after, c.field)}"
    if c.action == "add":
        return _c("  +", "+", color) + f" {c.path}: {c.after}"
    return _c("  -", "-", color) + f" {c.path}: {c.before}"


def leader_lines(lp, color: bool) -> list[str]:
    head = {
        "in_sync": "in sync",
        "changes": f"{len(lp.changes)} change{'s' if len(lp.changes) != 1 else ''}",
        "blocked": "BLOCKED (nothing will be written)",
        "error": "ERROR",
    }[lp.status]
    lines = [f"leader {lp.name}: {head}"]
    lines += [change_line(c, color) for c in lp.changes]
    if lp.follower_removals:
        lines.append(_c("  -", "-", color) + f" followers (enforced on every apply): {', '.join(map(str, lp.follower_removals))}")
    for p in lp.problems:
        code = f" [{p.code}]" if p.code is not None else ""
        lines.append(_c("  !", "!", color) + f"{code} {p.message}")
    return lines


def plan(plan, color: bool = False) -> str:
    lines = []
    for lp in plan.leaders:
        lines += leader_lines(lp, color)
    s = summary(plan)
    lines.append("")
    lines.append(
        f"Plan: {s['changes']} leader(s) with changes, {s['in_sync']} in sync, {s['blocked']} blocked, {s['error']} error(s)."
    )
    return "\n".join(lines) + "\n"


def result(result, color: bool = False) -> str:
    lines = []
    for r in result.leaders:
        key = "ok" if r.result in ("applied", "in_sync") else ("warn" if r.result == "partial" else "!")
        lines.append(f"leader {r.plan.name}: " + _c(r.result.replace("_", " "), key, color))
        for user_id, state in r.removals.items():
            lines.append(f"  follower {user_id}: {state.replace('_', ' ')}")
        lines += [f"  {m}" for m in r.messages]
    s = result_summary(result)
    lines.append("")
    lines.append(
        f"Apply: {s['applied']} applied, {s['in_sync']} in sync, {s['partial']} partial, {s['failed']} failed, {s['blocked']} blocked."
    )
    return "\n".join(lines) + "\n"
