"""What plan, apply and drift tell the world around them: GitHub step summaries and
annotations, a Slack-compatible webhook, node-exporter textfile metrics.

None of these may change a command's result: a failing webhook is reported on
stderr and the drift exit code stays what the plan says.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(markdown: str, plan, specs: dict | None = None) -> None:
    """Step summary and annotations, when running inside GitHub Actions."""
    step_summary(markdown)
    if os.environ.get("GITHUB_ACTIONS") == "true" and plan is not None:
        for line in annotations(plan, specs):
            print(line, flush=True)


def step_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(markdown.rstrip("\n") + "\n\n")
    except OSError as e:
        _warn(f"warning: cannot write GITHUB_STEP_SUMMARY: {e.strerror or e}")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def annotations(plan, specs: dict | None = None) -> list[str]:
    """`::error`/`::warning` lines pointing at the config file and line of each problem or change."""
    lines = []
    for lp in plan.leaders:
        spec = (specs or {}).get(lp.name)
        for p in lp.problems:
            loc = spec.where(p.path or "") if spec else None
            where = f"file={_prop(loc.file)},line={loc.line},col={loc.col}," if loc else ""
            code = f" ({p.code})" if p.code is not None else ""
            lines.append(f"::error {where}title={_prop('leaderctl ' + lp.name + code)}::{_escape(p.message)}")
        for c in lp.changes:
            loc = spec.where(c.path) if spec else None
            where = f"file={_prop(loc.file)},line={loc.line},col={loc.col}," if loc else ""
            lines.append(f"::warning {where}title={_prop('leaderctl ' + lp.name)}::{_escape(f'{c.path} ({c.field}): {c.action}')}")
    return lines


def webhook_payload(plan) -> dict:
    drifted = [lp for lp in plan.leaders if lp.status == "changes"]
    lines = [f"leaderctl drift: {len(drifted)} leader(s) differ from the config"]
    leaders = []
    for lp in drifted:
        fields = sorted({c.path for c in lp.changes})
        lines.append(f"• {lp.name}: {', '.join(fields)}")
        leaders.append({"name": lp.name, "changes": [{"path": c.path, "field": c.field, "action": c.action} for c in lp.changes]})
    return {"text": "\n".join(lines), "leaders": leaders}


def send_webhook(url: str, plan, *, timeout: float = 10.0, attempts: int = 2) -> bool:
    """POST once (one retry on failure); never raises."""
    import httpx

    payload = webhook_payload(plan)
    last = "no attempt"
    for attempt in range(attempts):
        try:
            r = httpx.post(url, json=payload, timeout=timeout)
            if r.status_code < 300:
                return True
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            last = type(e).__name__
        if attempt + 1 < attempts:
            time.sleep(1.0)
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
        out.append(f'leaderctl_drift{{leader="{lp.name}"}} {1 if lp.status == "changes" else 0}')
    out += ["# HELP leaderctl_changes Number of differing fields and pairs per leader.", "# TYPE leaderctl_changes gauge"]
    for lp in leaders:
        out.append(f'leaderctl_changes{{leader="{lp.name}"}} {len(lp.changes)}')
    out += ["# HELP leaderctl_leader_ok Whether the leader could be checked (not blocked or in error).", "# TYPE leaderctl_leader_ok gauge"]
    for lp in leaders:
        out.append(f'leaderctl_leader_ok{{leader="{lp.name}"}} {0 if lp.status in ("error", "blocked") else 1}')
    ok = plan is not None and all(lp.status != "error" for lp in leaders)
    out += [
        "# HELP leaderctl_last_check_timestamp_seconds When the last drift check ran.",
        "# TYPE leaderctl_last_check_timestamp_seconds gauge",
        f"leaderctl_last_check_timestamp_seconds {now:.3f}",
        "# HELP leaderctl_check_success Whether the last drift check completed without error.",
        "# TYPE leaderctl_check_success gauge",
        f"leaderctl_check_success {1 if ok else 0}",
    ]
    return "\n".join(out) + "\n"


def write_metrics(path: str | Path, plan) -> None:
    """Atomically, so node-exporter never reads half a file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".leaderctl-", suffix=".prom.tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(metrics_text(plan))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        _warn(f"warning: cannot write metrics to {path}: {e.strerror or e}")
