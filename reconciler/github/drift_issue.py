"""The drift issue: one open issue labelled `drift` per config path.

Its body starts with `<!-- leaderctl-drift path=PATH -->`, and a second line
`<!-- leaderctl-drift-sha256 HEX -->` holds the digest of the drift it shows,
so a check that finds the same drift again changes nothing (no edit, no
notification) and a different drift updates the body and adds a comment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.github import comment

LABEL = "drift"
LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "leaderctl: the exchange differs from the config"

_MARKER = re.compile(r"^<!-- leaderctl-drift path=(\S+) -->$")
_DIGEST = re.compile(r"^<!-- leaderctl-drift-sha256 ([0-9a-f]{64}) -->$", re.M)


def marker(key: str) -> str:
    return f"<!-- leaderctl-drift path={key} -->"


def digest_line(digest: str) -> str:
    return f"<!-- leaderctl-drift-sha256 {digest} -->"


def parse(body: str) -> tuple[str, str | None] | None:
    """(path key, drift digest) of an issue body, or None when it is not a drift issue of ours."""
    text = (body or "").replace("\r\n", "\n")
    m = _MARKER.match(text.split("\n", 1)[0].strip())
    if not m:
        return None
    d = _DIGEST.search(text)
    return m.group(1), d.group(1) if d else None


@dataclass
class Outcome:
    action: str  # opened | updated | unchanged | closed | none
    number: int | None = None


def find_open(api, repo: str, key: str, me) -> list[dict]:
    """This path's open drift issues that `me` (the job's token, `identity`) opened."""
    what = "listing the open issues labelled drift"
    issues = api.paginate(f"/repos/{repo}/issues", params={"state": "open", "labels": LABEL}, what=what, needs="issues: read")
    where = f"GET /repos/{repo}/issues"
    comment.checked(issues, what, where, "number")
    out = []
    for issue in issues:
        if issue.get("pull_request") is not None:
            continue
        parsed = parse(issue.get("body") or "")
        if parsed and parsed[0] == key and me.wrote(issue):
            out.append(issue)
    return out


def ensure_label(api, repo: str) -> None:
    from reconciler.github.api import GitHubError

    try:
        api.post(f"/repos/{repo}/labels", {"name": LABEL, "color": LABEL_COLOR, "description": LABEL_DESCRIPTION},
                 what="creating the drift label", needs="issues: write")
    except GitHubError as e:
        if e.status != 422:  # 422: the label exists already
            raise


def report_drift(api, repo: str, key: str, title: str, body: str, digest: str, run_url: str | None, me) -> Outcome:
    """Open the issue, or update it when the drift changed; leave it alone when it did not."""
    open_issues = find_open(api, repo, key, me)
    if not open_issues:
        ensure_label(api, repo)
        r = api.post(f"/repos/{repo}/issues", {"title": title, "body": body, "labels": [LABEL]},
                     what="opening the drift issue", needs="issues: write")
        return Outcome("opened", (r.data or {}).get("number") if isinstance(r.data, dict) else None)
    issue = open_issues[0]
    number = issue["number"]
    if parse(issue.get("body") or "")[1] == digest:
        return Outcome("unchanged", number)
    api.patch(f"/repos/{repo}/issues/{number}", {"body": body}, what=f"updating drift issue #{number}", needs="issues: write")
    check = f"[check]({run_url})" if run_url else "check"
    api.post(f"/repos/{repo}/issues/{number}/comments", {"body": f"The drift changed ({check}): the description shows the current report."},
             what=f"commenting on drift issue #{number}", needs="issues: write")
    return Outcome("updated", number)


def report_in_sync(api, repo: str, key: str, run_url: str | None, me) -> Outcome:
    """Close every open drift issue of this path, each with a comment saying why."""
    closed = None
    for issue in find_open(api, repo, key, me):
        number = issue["number"]
        check = f"[check]({run_url})" if run_url else "check"
        api.post(f"/repos/{repo}/issues/{number}/comments", {"body": f"Back in sync ({check}): closing."},
                 what=f"commenting on drift issue #{number}", needs="issues: write")
        api.patch(f"/repos/{repo}/issues/{number}", {"state": "closed", "state_reason": "completed"},
                  what=f"closing drift issue #{number}", needs="issues: write")
        closed = number
    return Outcome("closed", closed) if closed is not None else Outcome("none")
