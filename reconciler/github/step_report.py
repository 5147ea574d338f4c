"""What plan, apply, drift and `leaderctl github` tell GitHub Actions about a run:
the step summary (markdown, `GITHUB_STEP_SUMMARY`) and `::error`/`::warning`
annotations pointing at the config line of each problem or change.

Neither may change a command's result. Neither carries a key, secret or invite
code: plans already hold "(sensitive)" in its place, and the summary is masked by
value again here (`redact`). Exchange text in annotations is inert: control
characters escaped (`render.escape.for_terminal`), then the workflow-command
escaping (`%`, CR, LF; `:` and `,` in properties).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from reconciler.model import LeaderStatus
from reconciler.redact import mask
from reconciler.render import change_words
from reconciler.render.escape import for_terminal, markdown_block

ANNOTATIONS_PER_KIND = 10  # GitHub shows 10 errors and 10 warnings per step and drops the rest


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS", "").strip().lower() not in ("", "0", "false", "no")


def report(markdown: str | Callable[[], str], plan, specs: dict | None = None, *, drift: bool = False) -> None:
    """Step summary and annotations, when running inside GitHub Actions.

    `markdown` may be a function that makes it: it is then called only when there is
    a step summary to write. Annotations go to stderr (the runner reads workflow
    commands from both streams), so `--format json > report.json` stays valid JSON.
    """
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        step_summary(markdown() if callable(markdown) else markdown)
    if in_github_actions() and plan is not None:
        for line in annotations(plan, specs, drift=drift):
            print(line, file=sys.stderr, flush=True)


def report_failure(command: str, error: BaseException) -> None:
    """A run that ended in an error before any plan: say so in the summary and as annotations."""
    from reconciler.errors import ConfigError, LeaderctlError

    message = str(error) if isinstance(error, LeaderctlError) else f"internal error: {type(error).__name__}"
    step_summary(f"## leaderctl {command}\n\n❌ **{command} failed**, nothing was checked:\n\n{markdown_block(message)}")
    if not in_github_actions():
        return
    title = _prop("leaderctl " + command)
    if isinstance(error, ConfigError):
        by_file: dict[str, list] = {}
        for issue in error.issues:  # one per issue when they fit, else one per file (at its first issue)
            by_file.setdefault(issue.file if len(error.issues) > ANNOTATIONS_PER_KIND else str(issue), []).append(issue)
        found = []
        for issues in by_file.values():
            first = issues[0]
            where = f"file={_prop(_relative(first.file))}," + (f"line={first.line},col={first.col}," if first.line else "")
            text = "; ".join(f"{i.path}: {i.message}" if i.path else i.message for i in issues[:5])
            more = f" (and {len(issues) - 5} more in this file)" if len(issues) > 5 else ""
            found.append(f"::error {where}title={title}::{_escape(for_terminal(text + more))}")
        lines = capped(found, "error", "files with errors")
    else:
        lines = [f"::error title={title}::{_escape(for_terminal(message))}"]
    for line in lines:
        print(line, file=sys.stderr, flush=True)


def capped(lines: list[str], kind: str, what: str, limit: int = ANNOTATIONS_PER_KIND) -> list[str]:
    """At most `limit` annotations of one kind: the first `limit - 1` (most severe first),
    then one line saying how many more there are and where they all are."""
    if len(lines) <= limit:
        return lines
    rest = len(lines) - (limit - 1)
    return lines[: limit - 1] + [f"::{kind} title=leaderctl::… and {rest} more {what}: every one is in the step summary and the log"]


def step_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(mask(markdown).rstrip("\n") + "\n\n")
    except OSError as e:
        _warn(f"warning: cannot write GITHUB_STEP_SUMMARY: {e.strerror or e}")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def _relative(file: str) -> str:
    """Annotations need paths relative to the repository root (the workspace)."""
    p = Path(file)
    if not p.is_absolute():
        return file
    for base in (os.environ.get("GITHUB_WORKSPACE"), os.getcwd()):
        if base:
            try:
                return p.relative_to(base).as_posix()
            except ValueError:
                continue
    return file


def _where(spec, path: str | None) -> str:
    loc = spec.where(path or "") if spec else None
    return f"file={_prop(_relative(loc.file))},line={loc.line},col={loc.col}," if loc else ""


def _severity(lp) -> int:
    return 0 if lp.status is LeaderStatus.ERROR else 1


def annotations(plan, specs: dict | None = None, *, drift: bool = False) -> list[str]:
    """`::error`/`::warning` lines pointing at the config line of each problem or change:
    one per problem and per change while they fit in what GitHub shows, else one per
    leader (at its first one); errors (leaders in error, then blocked) and warnings (most
    changes first), each kind capped to what GitHub shows (`capped`)."""
    troubled = sorted((lp for lp in plan.leaders if lp.problems), key=_severity)
    changing = sorted((lp for lp in plan.leaders if lp.changes), key=lambda lp: -len(lp.changes))
    each_problem = sum(len(lp.problems) for lp in troubled) <= ANNOTATIONS_PER_KIND
    each_change = sum(len(lp.changes) for lp in changing) <= ANNOTATIONS_PER_KIND
    errors, warnings = [], []
    for lp in troubled:
        spec = (specs or {}).get(lp.name)
        for group in ([[p] for p in lp.problems] if each_problem else [lp.problems]):
            code = f" ({group[0].code})" if group[0].code is not None else ""
            text = "; ".join(p.message for p in group)
            errors.append(f"::error {_where(spec, group[0].path)}title={_prop('leaderctl ' + lp.name + code)}::{_escape(for_terminal(text))}")
    for lp in changing:
        spec = (specs or {}).get(lp.name)
        for group in ([[c] for c in lp.changes] if each_change else [lp.changes]):
            text = "; ".join(change_words(c, drift=drift) for c in group)
            warnings.append(f"::warning {_where(spec, group[0].path)}title={_prop('leaderctl ' + lp.name)}::{_escape(for_terminal(text))}")
    return capped(errors, "error", "leaders blocked or in error") + capped(
        warnings, "warning", "leaders drifted" if drift else "leaders with changes")
