"""Apply only what was reviewed: the pull request merged as this commit, and the
plan digest its leaderctl comment showed.

`leaderctl github apply` re-plans after the merge and writes only when the new
plan's digest equals the comment's `plan_sha256`. Anything else (no pull
request, no comment, a comment without a digest, another digest) refuses with
exit 1 before a single write.
"""
from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import LeaderctlError
from reconciler.github import comment

HINT = "nothing was written: open a pull request, review its plan comment and merge it (or set verify-plan: false to apply without a reviewed plan)"


class NotReviewedError(LeaderctlError):
    """There is no reviewed plan that this apply would carry out."""


@dataclass(frozen=True)
class Reviewed:
    number: int
    digest: str
    comment_url: str | None


def merged_pull_request(api, repo: str, sha: str) -> dict:
    from reconciler.github.api import item, malformed, value

    what = f"finding the pull request merged as {sha[:12]}"
    r = api.get(f"/repos/{repo}/commits/{sha}/pulls", what=what, needs="pull-requests: read")
    if not isinstance(r.data, list):
        raise malformed(what, r.where, "the answer is not a list")
    for i, pr in enumerate(r.data):
        at = f"[{i}]"
        item(pr, at, what=what, where=r.where)
        merged_at = value(pr, "merged_at", (str,), at, what=what, where=r.where, required=False)
        merge_sha = value(pr, "merge_commit_sha", (str,), at, what=what, where=r.where, required=False)
        if merged_at and merge_sha == sha:
            value(pr, "number", (int,), at, what=what, where=r.where)
            return pr
    raise NotReviewedError(f"refusing to apply: no pull request was merged as {sha[:12]}, so there is no reviewed plan: {HINT}")


def reviewed_plan(api, repo: str, sha: str, key: str, me) -> Reviewed:
    """The digest of the plan comment `me` (the job's token, `identity`) wrote on the merged
    pull request: a comment with the marker by anyone else is not a review."""
    pr = merged_pull_request(api, repo, sha)
    number = pr["number"]
    found = comment.find(comment.list_comments(api, repo, number), key, me)
    if found is None:
        raise NotReviewedError(
            f"refusing to apply: pull request #{number} has no leaderctl plan comment for {key} written by {me.login()} "
            f"(the author of this job's token; a comment by anyone else is never trusted): {HINT}"
        )
    parsed = comment.parse_marker(found.get("body") or "")
    if parsed is None or parsed[1] is None:
        raise NotReviewedError(
            f"refusing to apply: the plan comment on pull request #{number} shows no plan that can be applied "
            f"(the config was invalid, the run failed or the pull request came from a fork): {HINT}"
        )
    return Reviewed(number, parsed[1], found.get("html_url"))


def check(reviewed: Reviewed, digest: str) -> None:
    if digest != reviewed.digest:
        raise NotReviewedError(
            f"the plan changed since it was reviewed in pull request #{reviewed.number} "
            f"(reviewed plan_sha256 {reviewed.digest[:12]}, now {digest[:12]}: the exchange or the config moved since): "
            "nothing was written: open a pull request to review the new plan"
        )
