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
    pulls = api.get(f"/repos/{repo}/commits/{sha}/pulls", what=f"finding the pull request merged as {sha[:12]}",
                    needs="pull-requests: read").data
    for pr in pulls if isinstance(pulls, list) else []:
        if pr.get("merged_at") and pr.get("merge_commit_sha") == sha:
            return pr
    raise NotReviewedError(f"refusing to apply: no pull request was merged as {sha[:12]}, so there is no reviewed plan: {HINT}")


def reviewed_plan(api, repo: str, sha: str, key: str) -> Reviewed:
    pr = merged_pull_request(api, repo, sha)
    number = pr["number"]
    found = comment.find(comment.list_comments(api, repo, number), key)
    if found is None:
        raise NotReviewedError(f"refusing to apply: pull request #{number} has no leaderctl plan comment for {key}: {HINT}")
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
