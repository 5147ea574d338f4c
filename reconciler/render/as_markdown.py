"""Plan and apply reports for pull-request comments and step summaries."""
from __future__ import annotations

import re

from reconciler.model import Action, LeaderOutcome, LeaderStatus
from reconciler.render import printable, result_summary, shown, summary
from reconciler.render.escape import for_markdown

MARKER = "<!-- leaderctl-plan -->"
ICONS = {
    LeaderStatus.IN_SYNC: "✅ in sync",
    LeaderStatus.CHANGES: "📝 changes",
    LeaderStatus.BLOCKED: "⛔ blocked",
    LeaderStatus.ERROR: "❌ error",
}
RESULT_ICONS = {
    LeaderOutcome.APPLIED: "✅ applied",
    LeaderOutcome.IN_SYNC: "✅ in sync",
    LeaderOutcome.PARTIAL: "⚠️ partial",
    LeaderOutcome.FAILED: "❌ failed",
    LeaderOutcome.BLOCKED: "⛔ blocked",
    LeaderOutcome.HELD: "⏸️ held",
    LeaderOutcome.NOT_STARTED: "⏸️ not started",
}


def text(value: object) -> str:
    """Exchange text outside code blocks: code spans that render nothing (`escape.for_markdown`)."""
    return for_markdown(str(value))


def fence(lines: list[str], info: str = "") -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark + info, *lines, mark]


def details(lp, explain: bool = False) -> list[str]:
    lines = []
    diff = []
    for c in lp.changes:
        if c.action is Action.UPDATE:
            diff.append(f"! {c.path} ({c.field}): {shown(c, c.before)} -> {shown(c, c.after)}")
        elif c.action is Action.ADD:
            diff.append(f"+ {c.path}: {shown(c, c.after)}")
        else:
            diff.append(f"- {c.path}: {shown(c, c.before)}")
        if explain and c.source is not None:
            diff[-1] += f"    # from {printable(c.source)}" + (f" ({c.source.origin})" if c.source.origin else "")
    if lp.follower_removals:
        diff.append(f"- followers (enforced on every apply): {', '.join(map(str, lp.follower_removals))}")
    if diff:
        lines += fence(diff, "diff")
    for p in lp.problems:
        code = f" `{p.code}`" if p.code is not None else ""
        lines.append(f"- ⛔{code} {text(p.message)}")
    if lp.held is not None:
        lines.append(f"- ⏸️ {text(lp.held.line())}: apply writes nothing for this leader before then")
    if lp.ignored:
        lines.append(f"- {len(lp.ignored)} ignored (left as on the exchange): {', '.join(f'`{p}`' for p in lp.ignored)}")
    return lines


def plan(plan, color: bool = False, explain: bool = False) -> str:
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
        status = ICONS[lp.status] + (f" ({len(lp.ignored)} ignored)" if lp.ignored else "")
        lines.append(f"| `{lp.name}` | {status} | {len(lp.changes)} | {len(lp.follower_removals)} | {len(lp.problems)} |")
    for lp in plan.leaders:
        body = details(lp, explain)
        if body and (lp.changes or lp.follower_removals or lp.problems):
            lines += ["", f"### `{lp.name}`", ""] + body
    return "\n".join(lines) + "\n"


def result(result, color: bool = False) -> str:
    s = result_summary(result)
    counts = " · ".join(f"**{s[o.value]}** {o.value.replace('_', ' ')}" for o in LeaderOutcome if o not in (LeaderOutcome.NOT_STARTED, LeaderOutcome.HELD) or s[o.value])
    if result.ignored_windows:
        counts += " · windows ignored (`--ignore-windows`)"
    lines = [
        "## leaderctl apply",
        "",
        counts,
        "",
        "| leader | result | changes | notes |",
        "|---|---|---:|---|",
    ]
    for r in result.leaders:
        notes = "; ".join([text(m) for m in r.messages] + [f"follower {k}: {v.value}" for k, v in r.removals.items()])
        lines.append(f"| `{r.plan.name}` | {RESULT_ICONS[r.result]} | {len(r.plan.changes)} | {notes} |")
    for r in result.leaders:
        body = details(r.plan)
        if body and (r.plan.changes or r.plan.follower_removals or r.plan.problems):
            lines += ["", f"### `{r.plan.name}`", ""] + body
    return "\n".join(lines) + "\n"
