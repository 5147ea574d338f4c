"""Plan, drift and apply reports as GitHub markdown: one layout, `document`, for the PR
comment, the drift issue, step summaries and `--format markdown`.

The layout is for the reviewer, in reading order (tfcmt's, and `docs/contract.md`'s
"What reviewers see"):

1. one summary line: "Plan: 3 leaders to change (5 changes) · ⛔ 1 blocked · ✅ 182 in sync";
2. blocked and error leaders, each reason on its own line (nothing is written for them);
3. every leader with changes, its diff in an open `<details>` block while the open diffs
   stay within `open_budget` characters; beyond it blocks collapse, largest first;
4. leaders in sync folded into one line ("✅ 182 in sync"), their names behind a click;
5. the caller's footer (the digest).

The whole document stays under `limit` characters (GitHub refuses bodies over 65,536):
what does not fit is left out whole, largest first, and a note says where the rest is.
Exchange text is inert (`escape`): code spans outside code blocks, fences it cannot close.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.model import Action, LeaderOutcome, LeaderStatus
from reconciler.render import drift_words, plural, printable, result_summary, shown, summary
from reconciler.render.escape import for_html, for_markdown

MARKER = "<!-- leaderctl-plan -->"
DRIFT_MARKER = "<!-- leaderctl-drift -->"
OPEN_BUDGET = 20_000  # characters of diffs shown open
LIMIT = 60_000  # the whole document: well under GitHub's 65,536 (room for a marker and a banner)
NOTE_ROOM = 1_000  # kept for the "left out" note
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


def icon(status) -> str:
    return ICONS.get(status, f"⏸️ {status}")


def fence(lines: list[str], info: str = "") -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark + info, *lines, mark]


# ---------------------------------------------------------------- one leader


def diff_lines(lp, *, drift: bool = False, explain: bool = False) -> list[str]:
    """A leader's changes as `diff` lines: `!` update, `+` add, `-` remove. A drift report
    says which side changed and leaves out follower removals (they are not drift)."""
    out = []
    for c in lp.changes:
        mark = "!" if c.action is Action.UPDATE else "+" if c.action is Action.ADD else "-"
        if drift:
            head, sep, rest = drift_words(c, field=False).partition(" changed outside the config: ")
            out += _wrapped(mark, f"{head} changed outside the config:", rest, then=", the config says ") if sep else [f"{mark} {head}"]
        elif c.action is Action.UPDATE:
            out += _wrapped("!", f"{c.path} ({c.field}):", f"{shown(c, c.before)} -> {shown(c, c.after)}")
        elif c.action is Action.ADD:
            out.append(f"+ {c.path}: {shown(c, c.after)}")
        else:
            out.append(f"- {c.path}: {shown(c, c.before)}")
        if explain and c.source is not None:
            out[-1] += f"    # from {printable(c.source)}" + (f" ({c.source.origin})" if c.source.origin else "")
    if lp.follower_removals and not drift:
        out += _listed("-", "followers (enforced on every apply):", [str(f) for f in lp.follower_removals])
    return out


# Characters of a diff line a GitHub comment shows without scrolling its code block sideways:
# code blocks do not wrap, and about 110 monospace characters fit the comment's width.
WRAP = 106


def _wrapped(mark: str, head: str, rest: str, *, then: str | None = None) -> list[str]:
    """`mark head rest` on one line; a long one broken after `head` (and a `rest` still too
    long before `then`), so that both sides' values are seen without a click."""
    line = f"{mark} {head} {rest}"
    if len(line) <= WRAP:
        return [line]
    first, sep, second = rest.partition(then) if then else (rest, "", "")
    if len(f"{mark}   {rest}") <= WRAP or not sep:
        return [f"{mark} {head}", f"{mark}   {rest}"]
    return [f"{mark} {head}", f"{mark}   {first},", f"{mark}   {sep.removeprefix(', ')}{second}"]


def _listed(mark: str, head: str, items: list[str]) -> list[str]:
    """`mark head a, b, c`, continued on lines of their own (indented) where it is too long."""
    lines, line = [], f"{mark} {head}"
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + 1 + len(piece) > WRAP and line.strip() != mark:
            lines.append(line)
            line = f"{mark}  "
        line += " " + piece
    return lines + [line]


def details(lp, explain: bool = False, *, drift: bool = False) -> list[str]:
    """A leader's diff, problems and ignored paths as markdown lines (empty when in sync)."""
    diff = diff_lines(lp, drift=drift, explain=explain)
    lines = fence(diff, "diff") if diff else []
    for p in lp.problems:
        code = f" `{p.code}`" if p.code is not None else ""
        lines.append(f"- ⛔{code} {text(p.message)}")
    if lp.held is not None:
        lines.append(f"- ⏸️ {text(lp.held.line())}: apply writes nothing for this leader before then")
    if lp.ignored:
        lines.append(f"- {plural(len(lp.ignored), 'path')} ignored (left as on the exchange): {', '.join(f'`{p}`' for p in lp.ignored)}")
    return lines


def headline(lp, *, drift: bool = False) -> str:
    """A leader's `<summary>` line after its name: `2 changes · 1 follower removal · 1 path ignored`."""
    parts = [plural(len(lp.changes), "change")] if lp.changes else []
    if lp.follower_removals and not drift:
        parts.append(plural(len(lp.follower_removals), "follower removal"))
    if lp.ignored:
        parts.append(f"{plural(len(lp.ignored), 'path')} ignored")
    return " · ".join(parts)


@dataclass
class Block:
    """One leader's diff as a `<details>` block."""

    name: str
    headline: str
    lines: list[str]

    @property
    def size(self) -> int:
        return sum(len(line) + 1 for line in self.lines)

    def render(self, open_: bool) -> str:
        head = f"<details{' open' if open_ else ''}><summary>{for_html(self.name)} · {self.headline}</summary>"
        return "\n".join([head, "", *self.lines, "", "</details>"])


# ---------------------------------------------------------------- who is where


def to_write(lp, drift: bool) -> bool:
    """A leader of the changes section: drifted (drift), or one apply writes for (plan)."""
    if drift:
        return lp.status is LeaderStatus.CHANGES and bool(lp.changes)
    return lp.writes


def needs_attention(lp) -> bool:
    """Blocked, in error (or any status that writes nothing and is not "in sync")."""
    return lp.status not in (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC)


def summary_line(plan, *, drift: bool = False) -> str:
    """"**Plan: 3 leaders to change** (5 changes, 1 follower removal) · ⛔ 1 blocked · ✅ 182 in sync"."""
    moving = [lp for lp in plan.leaders if to_write(lp, drift)]
    n_changes = sum(len(lp.changes) for lp in moving)
    n_removals = 0 if drift else sum(len(lp.follower_removals) for lp in moving)
    if drift:
        head = f"**Drift: {plural(len(moving), 'leader')} drifted**" if moving else "**No drift**"
    else:
        head = f"**Plan: {plural(len(moving), 'leader')} to change**" if moving else "**Plan: no changes**"
    what = [plural(n_changes, "change")] if n_changes else []
    if n_removals:
        what.append(plural(n_removals, "follower removal"))
    parts = [head + (f" ({', '.join(what)})" if what else "")]
    s = summary(plan)
    if s["blocked"]:
        parts.append(f"⛔ {s['blocked']} blocked")
    if s["error"]:
        parts.append(f"❌ {plural(s['error'], 'error')}")
    others = sum(1 for lp in plan.leaders if needs_attention(lp)) - s["blocked"] - s["error"]
    if others:
        parts.append(f"⏸️ {others} not planned")
    if held := plan.held():
        parts.append(f"🕒 {held} held by the policy's windows")
    parts.append(f"✅ {len(quiet_leaders(plan, drift))} in sync")
    return " · ".join(parts)


def quiet_leaders(plan, drift: bool) -> list:
    return [lp for lp in plan.leaders if not needs_attention(lp) and not to_write(lp, drift)]


NAMES_PER_REASON = 30


def attention_lines(plan) -> list[str]:
    """Blocked and error leaders: one line per distinct reason, errors first, naming its leaders."""
    reasons: dict[tuple, list[str]] = {}
    for lp in sorted((lp for lp in plan.leaders if needs_attention(lp)), key=lambda lp: lp.status is not LeaderStatus.ERROR):
        for p in lp.problems or [None]:
            key = (lp.status, None if p is None else p.code, None if p is None else p.message)
            reasons.setdefault(key, []).append(lp.name)
    lines = []
    for (status, code, message), names in reasons.items():
        reason = (f" `{code}`" if code is not None else "") + (f" {text(message)}" if message is not None else "")
        shown_names = ", ".join(text(n) for n in names[:NAMES_PER_REASON])
        more = f" and {len(names) - NAMES_PER_REASON} more" if len(names) > NAMES_PER_REASON else ""
        who = f"{plural(len(names), 'leader')}: {shown_names}{more}" if len(names) > 1 else shown_names
        lines.append(f"- {icon(status).split(' ', 1)[0]} **{str(status).replace('_', ' ')}**{reason} — {who}")
    return lines


def quiet_fold(leaders) -> str:
    """Leaders in sync as one line; their names (and ignored paths) behind a click."""
    if not leaders:
        return ""
    names = ", ".join(text(lp.name) + (f" (ignores {', '.join(f'`{p}`' for p in lp.ignored)})" if lp.ignored else "")
                      for lp in leaders)
    return f"<details><summary>✅ {len(leaders)} in sync</summary>\n\n{names}\n\n</details>"


# ---------------------------------------------------------------- the document


def choose_open(blocks: list[Block], budget: int) -> list[bool]:
    """Which blocks are open: all while their diffs fit `budget`, else the largest collapse first."""
    open_ = [True] * len(blocks)
    total = sum(b.size for b in blocks)
    for i in sorted(range(len(blocks)), key=lambda i: -blocks[i].size):
        if total <= budget:
            break
        open_[i] = False
        total -= blocks[i].size
    return open_


def document(plan, *, drift: bool = False, head: tuple[str, ...] | list[str] | None = None, title: str | None = None,
             footer: str = "", overflow: str = "", limit: int | None = None, open_budget: int | None = None,
             explain: bool = False) -> str:
    """The report of a plan (or, `drift`, of drift): see the module docstring for its layout.

    `head` are lines before the title (markers; default the plain plan or drift marker),
    `footer` comes last, `overflow` says where the full report is when some is left out."""
    limit = LIMIT if limit is None else limit
    open_budget = OPEN_BUDGET if open_budget is None else open_budget
    head = list(head) if head is not None else [DRIFT_MARKER if drift else MARKER]
    title = title or f"## leaderctl {'drift' if drift else 'plan'}"
    top = "\n".join([*head, title, "", summary_line(plan, drift=drift)])
    attention = attention_lines(plan)
    parts = [top]
    if attention:
        parts.append("\n".join(["### Blocked and errors", "", "Nothing is written for these leaders.", "", *attention]))
    blocks = [Block(lp.name, headline(lp, drift=drift), details(lp, explain, drift=drift))
              for lp in plan.leaders if to_write(lp, drift)]
    fold = quiet_fold(quiet_leaders(plan, drift))
    fixed = sum(len(p) + 2 for p in parts) + len(footer) + 2 + len(fold) + 2 + 40
    opened = choose_open(blocks, open_budget)
    kept = _fit(blocks, opened, limit - NOTE_ROOM - fixed)
    if blocks:
        parts.append("### Drifted" if drift else "### Changes")
        parts += [b.render(open_) for b, open_, keep in zip(blocks, opened, kept) if keep]
    if fold and fixed <= limit - NOTE_ROOM:
        parts.append(fold)
    left_out = [b.name for b, keep in zip(blocks, kept) if not keep]
    if left_out:
        names = ", ".join(text(n) for n in left_out[:10]) + (" …" if len(left_out) > 10 else "")
        parts.append(f"> [!NOTE]\n> Too long for one comment: the diffs of {plural(len(left_out), 'leader')} ({names}) "
                     f"are not shown here. {overflow}".rstrip())
    if footer:
        parts.append(footer)
    body = "\n\n".join(parts) + "\n"
    if len(body) > limit:  # the blocked list or the footer alone is too long: never send what GitHub refuses
        body = body[: limit - 200].rsplit("\n", 1)[0] + f"\n\n… (cut: too long for one comment) {overflow}\n"
    return body


def _fit(blocks: list[Block], open_: list[bool], room: int) -> list[bool]:
    """Which blocks are kept within `room` characters: the largest left out first."""
    sizes = [len(b.render(o)) + 2 for b, o in zip(blocks, open_)]
    keep = [True] * len(blocks)
    total = sum(sizes)
    for i in sorted(range(len(blocks)), key=lambda i: -sizes[i]):
        if total <= room:
            break
        keep[i] = False
        total -= sizes[i]
    return keep


def plan(plan, color: bool = False, explain: bool = False) -> str:
    return document(plan, explain=explain)


def drift(plan, color: bool = False, explain: bool = False) -> str:
    return document(plan, drift=True, explain=explain)


# ---------------------------------------------------------------- apply


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
