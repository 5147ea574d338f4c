"""The plan comment: one per pull request and config path, edited in place.

Its first line is the marker `<!-- leaderctl-plan path=PATH plan_sha256=HEX -->`:
`path` tells the comments of two config roots apart, `plan_sha256` is the digest
of the plan it shows (`none` when it shows no plan that could be applied: an
invalid config, a fork, a failed run). Apply reads the digest back.

Only a comment written by the job's token (`identity`) is ours: one with the
marker by anyone else, member or bot, is never edited, adopted or read.

Standard library only (see `stale`).
"""
from __future__ import annotations

import re
import urllib.parse

LIMIT = 65536  # GitHub's maximum comment and issue body, in characters
NO_DIGEST = "none"
STALE_START = "<!-- leaderctl-stale -->"
STALE_END = "<!-- /leaderctl-stale -->"

_MARKER = re.compile(r"^<!-- leaderctl-plan path=(\S+) plan_sha256=([0-9a-f]{64}|none) -->$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def path_key(paths) -> str:
    """The config path(s) as they appear in the marker: given order, comma-separated, URL-quoted."""
    return ",".join(urllib.parse.quote(str(p), safe="/._-~+@") for p in paths)


def plan_marker(key: str, digest: str | None) -> str:
    if digest is not None and not _HEX.match(digest):
        raise ValueError("a plan digest is 64 lowercase hex digits")
    return f"<!-- leaderctl-plan path={key} plan_sha256={digest or NO_DIGEST} -->"


def parse_marker(body: str) -> tuple[str, str | None] | None:
    """(path key, digest or None) from a comment's first line, or None when it is not ours."""
    first = (body or "").replace("\r\n", "\n").split("\n", 1)[0].strip()
    m = _MARKER.match(first)
    if not m:
        return None
    return m.group(1), (None if m.group(2) == NO_DIGEST else m.group(2))


def find(comments: list, key: str, me) -> dict | None:
    """The plan comment for this path: the oldest one whose first line is its marker and that
    `me` (an `identity.Identity`) wrote. Who wrote it is asked only when a marker matches."""
    for c in comments:
        parsed = parse_marker(c.get("body") or "")
        if parsed and parsed[0] == key and me.wrote(c):
            return c
    return None


def checked(entries: list, what: str, where: str, number: str = "id") -> list:
    """Comments (`id`) or issues (`number`) whose fields leaderctl reads have GitHub's types,
    an id twice only as the same entry (pages that moved); else one located error."""
    from reconciler.github.api import item, malformed, value

    seen: dict = {}
    for i, entry in enumerate(entries):
        at = f"[{i}]"
        item(entry, at, what=what, where=where)
        value(entry, number, (int,), at, what=what, where=where)
        value(entry, "body", (str,), at, what=what, where=where, required=False)
        value(entry, "html_url", (str,), at, what=what, where=where, required=False)
        user = value(entry, "user", (dict,), at, what=what, where=where, required=False)
        if user is not None:
            value(user, "login", (str,), f"{at}.user", what=what, where=where)
        if seen.setdefault(entry[number], entry) != entry:  # which one would an edit change?
            raise malformed(what, where, f"{at}.{number} {entry[number]} occurs twice, with different contents")
    return entries


def fence(text: str, lang: str = "text") -> list[str]:
    """A code block that the text cannot close early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}{lang}", text.rstrip("\n"), ticks]


def one_line(text: str, limit: int = 500) -> str:
    """Text (an error, GitHub's or the exchange's) as one plain line: for a terminal or a warning."""
    from reconciler.render.escape import for_terminal

    return for_terminal(" ".join(str(text).split()), limit=limit)


def stale_body(old_body: str, key: str, reason: str, run_url: str | None, *, limit: int = LIMIT) -> str:
    """The old comment with a banner on top and no digest in its marker, so apply refuses it."""
    lines = (old_body or "").replace("\r\n", "\n").split("\n")
    rest = "\n".join(lines[1:]) if parse_marker(old_body or "") else "\n".join(lines)
    if STALE_START in rest and STALE_END in rest:  # one banner, the newest
        before, _, after = rest.partition(STALE_START)
        rest = before + after.partition(STALE_END)[2]
    from reconciler.render.escape import for_markdown

    run = f"[the last plan run]({run_url})" if run_url else "the last plan run"
    banner = "\n".join(
        [
            STALE_START,
            "> [!WARNING]",
            f"> **This plan is stale.** {run} failed: {for_markdown(' '.join(str(reason).split()))}",
            "> It may not show what merging would do now, and apply will refuse it. Fix the problem and push again, or re-run the job.",
            STALE_END,
        ]
    )
    head = plan_marker(key, None) + "\n" + banner + "\n"
    rest = rest.lstrip("\n")
    if len(head) + len(rest) + 1 > limit:
        rest = "(the previous plan was too long to keep below this banner: see the previous run's step summary)\n"
    return head + rest


# ---------------------------------------------------------------- on GitHub


def list_comments(api, repo: str, number: int) -> list:
    what = f"listing the comments of pull request #{number}"
    path = f"/repos/{repo}/issues/{number}/comments"
    return checked(api.paginate(path, what=what, needs="pull-requests: read"), what, f"GET {path}")


def upsert(api, repo: str, number: int, key: str, body: str, me, comments: list | None = None) -> tuple[str, int | None]:
    """Edit this path's comment (one `me` wrote) in place, or create it: ("updated"|"created", comment id).

    GitHub's answer must show the comment as `me`'s: a token that writes as someone else
    (another GitHub App) stops here rather than leave comments apply would never trust."""
    me.login()  # who we are, before anything is written
    if comments is None:
        comments = list_comments(api, repo, number)
    mine = find(comments, key, me)
    if mine is not None:
        what = f"updating the plan comment on pull request #{number}"
        r = api.patch(f"/repos/{repo}/issues/comments/{mine['id']}", {"body": body}, what=what, needs="pull-requests: write")
        me.check_author(r.data, what)
        return "updated", mine.get("id")
    what = f"commenting the plan on pull request #{number}"
    r = api.post(f"/repos/{repo}/issues/{number}/comments", {"body": body}, what=what, needs="pull-requests: write")
    me.check_author(r.data, what)
    return "created", r.data.get("id")


def mark_stale(api, repo: str, number: int, key: str, reason: str, run_url: str | None, me) -> bool:
    """Put the stale banner on this path's comment (one `me` wrote), if there is one; True when one was marked."""
    comments = list_comments(api, repo, number)
    mine = find(comments, key, me)
    if mine is None:
        return False
    api.patch(f"/repos/{repo}/issues/comments/{mine['id']}", {"body": stale_body(mine.get("body") or "", key, reason, run_url)},
              what=f"marking the plan comment on pull request #{number} stale", needs="pull-requests: write")
    return True
