"""Plan and apply reports for pull-request comments and step summaries."""
from __future__ import annotations

from reconciler.render import result_summary, summary
from reconciler.render.as_text import value

MARKER = "<!-- leaderctl-plan -->"
ICONS = {"in_sync": "✅ in sync", "changes": "📝 changes", "blocked": "⛔ blocked", "error": "❌ error"}
RESULT_ICONS = {"applied": "✅ applied", "in_sync": "✅ in sync", "partial": "⚠️ partial", "failed": "❌ failed", "blocked": "⛔ blocked"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _details(lp) -> list[str]:
    lines = []
    if lp.changes or lp.follower_removals:
        lines.append("```diff")
        for c in lp.changes:
            if c.action == "update":
                lines.append(f"! {c.path} ({c.field}): {value(c.before, c.field)} -> {value(c.after, c.field)}")
            elif c.action == "add":
                lines.append(f"+ {c.path}: {c.after}")
            else:
                lines.append(f"- {c.path}: {c.before}")
        if lp.follower_removals:
            lines.append(f"- followers (enforced on every apply): {', '.join(map(str, lp.follower_removals))}")
        lines.append("```")
    for p in lp.problems:
        code = f" `{p.code}`" if p.code is not None else ""
        lines.append(f"- ⛔{code} {p.message}")
    return lines


def plan(plan) -> str:
    s = summary(plan)
    lines = [
        MARKER,
        "## leaderctl plan",
        "",
        f"**{s['changes']}** with changes · **{s['in_sync']}** in sync · **{s['blocked']}** blocked · **{s['error']}** errors",
        "",
        "| leader | status | changes | follower removals | problems |",
        "|---|---|---:|---:|---:|",
    ]
    for lp in plan.leaders:
        lines.append(f"| `{lp.name}` | {ICONS[lp.status]} | {len(lp.changes)} | {len(lp.follower_removals)} | {len(lp.problems)} |")
    for lp in plan.leaders:
        body = _details(lp)
        if body:
            lines += ["", f"### `{lp.name}`", ""] + body
    return "\n".join(lines) + "\n"


def result(result) -> str:
    s = result_summary(result)
    lines = [
        "## leaderctl apply",
        "",
        f"**{s['applied']}** applied · **{s['in_sync']}** in sync · **{s['partial']}** partial · **{s['failed']}** failed · **{s['blocked']}** blocked",
        "",
        "| leader | result | changes | notes |",
        "|---|---|---:|---|",
    ]
    for r in result.leaders:
        notes = "; ".join(r.messages + [f"follower {k}: {v}" for k, v in r.removals.items()])
        lines.append(f"| `{r.plan.name}` | {RESULT_ICONS[r.result]} | {len(r.plan.changes)} | {_cell(notes)} |")
    for r in result.leaders:
        body = _details(r.plan)
        if body:
            lines += ["", f"### `{r.plan.name}`", ""] + body
    return "\n".join(lines) + "\n"
