"""What plan, apply and drift tell the world around them: GitHub step summaries and
annotations, a Slack-compatible webhook, node-exporter textfile metrics.

None of these may change a command's result: a failing webhook is reported on
stderr and the drift exit code stays what the plan says. None of them may carry
a key, secret or invite code: plans already hold "(sensitive)" in its place, and
every text is masked by value again here (`redact`). Exchange text in them is
inert (`render.escape`): markdown in code spans or fenced blocks, Slack text with
`&<>` escaped, annotations with control characters escaped.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.model import Action, LeaderStatus
from reconciler.redact import mask, mask_tree
from reconciler.render.escape import for_slack, for_terminal, markdown_block

WEBHOOK_MAX_LEADERS = 30  # lines in the webhook text; the `leaders` list always has them all
ANNOTATIONS_PER_KIND = 10  # GitHub shows 10 errors and 10 warnings per step and drops the rest


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS", "").strip().lower() not in ("", "0", "false", "no")


def report(markdown: str, plan, specs: dict | None = None, *, drift: bool = False) -> None:
    """Step summary and annotations, when running inside GitHub Actions.

    Annotations go to stderr (the runner reads workflow commands from both
    streams), so `--format json > report.json` stays valid JSON.
    """
    step_summary(markdown)
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


def describe(change, drift: bool = True) -> str:
    """One change in words, values included (never a sensitive one): as drift (which side
    has what), or as what the plan will write."""
    from reconciler.render import drift_words, shown

    if drift:
        return drift_words(change)
    if change.sensitive:
        return f"{change.path} ({change.field}): will be changed (the value is sensitive and not shown)"
    if change.action is Action.UPDATE:
        return f"{change.path} ({change.field}): will change from {shown(change, change.before)} to {shown(change, change.after)}"
    if change.action is Action.ADD:
        return f"{change.path}: {shown(change, change.after)} will be enabled"
    return f"{change.path}: {shown(change, change.before)} will be disabled"


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
            text = "; ".join(describe(c, drift) for c in group)
            warnings.append(f"::warning {_where(spec, group[0].path)}title={_prop('leaderctl ' + lp.name)}::{_escape(for_terminal(text))}")
    return capped(errors, "error", "leaders blocked or in error") + capped(
        warnings, "warning", "leaders drifted" if drift else "leaders with changes")


def webhook_payload(plan) -> dict:
    """Slack-compatible: `text` for people (every drifted leader and field), `leaders` for machines.

    Each line of `text` is mrkdwn made from exchange text (`escape.for_slack`); `leaders` is
    JSON data, the exchange's spelling kept, every secret masked."""
    from reconciler.render import plural
    from reconciler.render.as_json import change_dict

    drifted = [lp for lp in plan.leaders if lp.status is LeaderStatus.CHANGES]
    failed = [lp for lp in plan.leaders if lp.status in (LeaderStatus.BLOCKED, LeaderStatus.ERROR)]
    n = len(drifted)
    lines = [f"leaderctl drift: {plural(n, 'leader')} drifted (changed outside the config)"]
    leaders = []
    for i, lp in enumerate(drifted):
        if i < WEBHOOK_MAX_LEADERS:
            lines.append(f"• {lp.name}:")
            lines += [f"    – {describe(c)}" for c in lp.changes]
        leaders.append(
            {
                "name": lp.name,
                "status": lp.status,
                "changes": [{"before": None, "after": None, **change_dict(c)} for c in lp.changes],
            }
        )
    if n > WEBHOOK_MAX_LEADERS:
        lines.append(f"• … and {n - WEBHOOK_MAX_LEADERS} more (see the `leaders` list)")
    if failed:
        lines.append("Not checked (blocked or error): " + ", ".join(f"{lp.name} ({lp.status})" for lp in failed))
    in_sync = plan.count(LeaderStatus.IN_SYNC)
    lines.append(f"{in_sync} in sync. Fix the config to match, or run `leaderctl apply`.")
    return {"text": "\n".join(for_slack(line) for line in lines), "leaders": mask_tree(leaders)}


def send_webhook(url: str, plan, *, timeout: float = 10.0, attempts: int = 2, retry_delay: float = 1.0) -> bool:
    """POST once, retry once on a network error, a timeout, a 429 or a 5XX; never raises.

    A failure is one warning on stderr (without the URL, which is a secret for Slack).
    """
    last = "no attempt"
    try:
        import httpx

        payload = webhook_payload(plan)
        for attempt in range(attempts):
            retry = True
            try:
                r = httpx.post(url, json=payload, timeout=timeout)
                if r.status_code < 300:
                    return True
                last = f"HTTP {r.status_code}"
                retry = r.status_code == 429 or r.status_code >= 500
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.UnsupportedProtocol:
                last, retry = "not an http(s) URL", False
            except httpx.HTTPError as e:
                last = type(e).__name__
            if not retry or attempt + 1 >= attempts:
                break
            time.sleep(retry_delay)
    except Exception as e:  # an unusable URL and the like: still never the drift result's business
        last = type(e).__name__
    _warn(f"warning: drift webhook failed ({last}); the drift result is unchanged")
    return False


def metrics_text(plan, now: float | None = None) -> str:
    now = time.time() if now is None else now
    out = [
        "# HELP leaderctl_drift Whether the leader's live settings differ from the config (1) or not (0).",
        "# TYPE leaderctl_drift gauge",
    ]
    leaders = plan.leaders if plan is not None else []
    for lp in leaders:
        out.append(f'leaderctl_drift{{leader="{lp.name}"}} {1 if lp.status is LeaderStatus.CHANGES else 0}')
    out += ["# HELP leaderctl_changes Number of differing fields and pairs per leader.", "# TYPE leaderctl_changes gauge"]
    for lp in leaders:
        out.append(f'leaderctl_changes{{leader="{lp.name}"}} {len(lp.changes)}')
    out += ["# HELP leaderctl_leader_ok Whether the leader could be checked (not blocked or in error).", "# TYPE leaderctl_leader_ok gauge"]
    for lp in leaders:
        out.append(f'leaderctl_leader_ok{{leader="{lp.name}"}} {0 if lp.status in (LeaderStatus.ERROR, LeaderStatus.BLOCKED) else 1}')
    ok = plan is not None and plan.exit_code(detailed=True) != 1
    out += [
        "# HELP leaderctl_last_check_timestamp_seconds When the last drift check ran.",
        "# TYPE leaderctl_last_check_timestamp_seconds gauge",
        f"leaderctl_last_check_timestamp_seconds {now:.3f}",
        "# HELP leaderctl_check_success Whether the last drift check completed without error (drift exit code 0 or 2).",
        "# TYPE leaderctl_check_success gauge",
        f"leaderctl_check_success {1 if ok else 0}",
    ]
    return "\n".join(out) + "\n"


def write_metrics(path: str | Path, plan) -> None:
    """Atomically, so node-exporter never reads half a file."""
    try:
        atomic_write(path, metrics_text(plan), mode=0o644)
    except OSError as e:
        _warn(f"warning: cannot write metrics to {path}: {e.strerror or e}")
