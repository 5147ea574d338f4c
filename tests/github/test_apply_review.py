"""`leaderctl github apply` on a push to the default branch: only what was reviewed."""
from __future__ import annotations

from github_kit import MERGE_SHA

from reconciler.github import comment


def _reviewed(kit, number: int = 7):
    """The pull request's plan comment, then its merge as MERGE_SHA."""
    r = kit.run("plan", "examples/", payload=kit.pr_event(number))
    assert r.code == 0, r.output
    kit.gh.merged_pr(MERGE_SHA, number)
    kit.sb.clear_requests()
    kit.gh.requests.clear()


def _apply(kit, *args):
    return kit.run("apply", *args, "examples/", event="push", payload={}, sha=MERGE_SHA)


def test_applies_the_reviewed_plan(kit):
    _reviewed(kit)
    r = _apply(kit)
    assert r.code == 0, r.output
    assert r.outputs == {"exitcode": "0"}
    assert len([q for q in kit.exchange_writes() if q.method == "PUT"]) == 7  # every example leader, the fleet included
    assert "reviewed in pull request #7" in r.summary and "## leaderctl apply" in r.summary
    assert [q.method for q in kit.gh.requests] == ["GET", "GET"]  # the pull request, its comments; nothing written to GitHub
    assert kit.gh.requests[0].path == f"/repos/acme/leaders/commits/{MERGE_SHA}/pulls"
    # and now in sync: a new plan shows nothing to do but the follower removal every apply enforces
    assert kit.run("plan", "examples/").code == 0
    assert "**Plan: 1 leader to change** (1 follower removal) · ✅ 6 in sync" in kit.comments()[0]["body"]


def test_refuses_when_the_exchange_changed_after_the_review(kit):
    _reviewed(kit)
    kit.edit_live("desk-btc", profitRate="0.15")  # someone used the web UI after the plan was reviewed
    kit.sb.clear_requests()
    r = _apply(kit)
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    assert "the plan changed since it was reviewed in pull request #7" in r.stderr
    assert "nothing was written" in r.stderr
    assert kit.exchange_writes() == []
    assert "the plan changed since it was reviewed" in r.summary


def test_refuses_when_the_config_on_main_moved_after_the_review(kit):
    _reviewed(kit)
    kit.edit("examples/desks/eth-desk.yaml", "asset: 50", "asset: 75")  # another merge landed first
    r = _apply(kit)
    assert r.code == 1 and "the plan changed since it was reviewed" in r.stderr
    assert kit.exchange_writes() == []


def test_refuses_without_a_merged_pull_request(kit):
    r = _apply(kit)
    assert r.code == 1
    assert f"no pull request was merged as {MERGE_SHA[:12]}" in r.stderr and "nothing was written" in r.stderr
    assert kit.exchange_requests() == []  # refused before planning

    kit.gh.merged_pr(MERGE_SHA, 8, merge_commit_sha="c" * 40)  # a pull request that contains the commit but was merged as another
    kit.gh.merged_pr(MERGE_SHA, 9, merged=False)  # an open one
    r = _apply(kit)
    assert r.code == 1 and "no pull request was merged" in r.stderr
    assert kit.exchange_requests() == []


def test_refuses_without_a_plan_comment_for_this_path(kit):
    kit.gh.merged_pr(MERGE_SHA, 7)
    r = _apply(kit)
    assert r.code == 1 and "pull request #7 has no leaderctl plan comment for examples/" in r.stderr
    assert kit.exchange_requests() == []

    # a comment for another path is not this path's review
    r = kit.run("plan", "examples/desks/", payload=kit.pr_event(7))
    assert r.code == 0
    r = _apply(kit)
    assert r.code == 1 and "no leaderctl plan comment for examples/" in r.stderr


def test_refuses_a_comment_that_shows_no_plan(kit):
    kit.gh.merged_pr(MERGE_SHA, 7)
    r = kit.run("plan", "examples/", payload=kit.pr_event(7, head_repo="stranger/leaders"))
    assert r.code == 0
    r = _apply(kit)
    assert r.code == 1 and "shows no plan that can be applied" in r.stderr
    assert kit.exchange_writes() == []


def test_a_passers_by_comment_is_not_a_review(kit):
    kit.gh.merged_pr(MERGE_SHA, 7)
    # what the plan would be: someone without write access posts its digest
    r = kit.run("plan", "examples/", payload=kit.pr_event(99))
    digest = comment.parse_marker(kit.comments(99)[0]["body"])[1]
    kit.gh.add_comment(7, comment.plan_marker("examples/", digest) + "\nlooks good", association="NONE")
    r = _apply(kit)
    assert r.code == 1 and "no leaderctl plan comment" in r.stderr
    assert kit.exchange_writes() == []


def test_no_verify_plan_applies_without_a_review(kit):
    r = _apply(kit, "--no-verify-plan")
    assert r.code == 0, r.output
    assert len([q for q in kit.exchange_writes() if q.method == "PUT"]) == 7  # every example leader, the fleet included
    assert kit.gh.requests == []  # no GitHub API call at all
    assert "plan not verified" in r.summary


def test_invalid_config_on_main_writes_nothing(kit):
    _reviewed(kit)
    kit.edit("examples/desk-btc.yaml", "position_type: cross", "position_type: diagonal")
    r = _apply(kit)
    assert r.code == 1 and "examples/desk-btc.yaml:" in r.stderr
    assert kit.exchange_requests() == [] and kit.gh.requests == []


def test_refusal_is_in_the_step_summary(kit):
    r = _apply(kit)
    assert r.code == 1 and "⛔ refusing to apply: no pull request was merged" in r.summary


def test_many_follower_removals_need_a_reviewed_plan(kit):
    ids = ", ".join(str(100000100 + i) for i in range(11))
    kit.edit("examples/desk-btc.yaml", "remove: [100000027]", f"remove: [{ids}]")
    r = _apply(kit, "--no-verify-plan")
    assert r.code == 1 and "more than 10 followers to remove for desk-btc (the policy's max_follower_removals, examples/policy.yaml:" in r.stderr and ": pass --force to confirm (nothing was written)" in r.stderr
    assert kit.exchange_writes() == []
    _reviewed(kit)
    r = _apply(kit)
    assert r.code in (0, 3), r.output  # reviewed: the removals go (unknown followers count as done)
    assert len([q for q in kit.exchange_writes() if q.method == "DELETE"]) == 11


def test_only_the_default_branch_applies(kit):
    _reviewed(kit)
    push = {"repository": {"default_branch": "main"}}
    r = kit.run("apply", "examples/", event="push", payload=push, sha=MERGE_SHA, env={"GITHUB_REF": "refs/heads/feature"})
    assert r.code == 1 and "apply runs on pushes to the default branch (main)" in r.stderr
    assert kit.exchange_requests() == [] and kit.gh.requests == []
    r = kit.run("apply", "examples/", event="push", payload=push, sha=MERGE_SHA)
    assert r.code == 0, r.output
