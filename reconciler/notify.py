"""What `leaderctl drift` tells the world outside GitHub: a Slack-compatible webhook
and node-exporter textfile metrics.

Neither may change the drift result: a failing webhook is one warning on stderr
and the exit code stays what the plan says. Neither carries a key, secret or
invite code: plans hold "(sensitive)" in its place and the webhook's data is
masked by value again (`redact.mask_tree`). Exchange text in the webhook's `text`
is Slack mrkdwn made inert (`render.escape.for_slack`).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.model import LeaderStatus
from reconciler.redact import mask_tree
from reconciler.render import change_words
from reconciler.render.escape import for_slack

WEBHOOK_MAX_LEADERS = 30  # lines in the webhook text; the `leaders` list always has them all


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
            lines += [f"    – {change_words(c)}" for c in lp.changes]
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
