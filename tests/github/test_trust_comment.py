"""CONTRACT §9: the reviewed plan comment is the one written by the job's token, nobody else's.

A comment with the marker by a member, a collaborator or another bot is never edited,
never adopted and never read as a review; a fork's run, which cannot write its comment,
leaves the pull request with no reviewed plan, and apply refuses it. Who the token is:
`github-actions[bot]` for the job's token (the action says so), else GET /user."""
from __future__ import annotations

import pytest

from fake_github import BOT
from github_kit import MERGE_SHA

from reconciler.github import comment

MEMBER = {"login": "alice", "type": "User"}
OTHER_BOT = {"login": "helpful-app[bot]", "type": "Bot"}
PAT = "github_pat_11DEPLOYER0123456789abcdefSECRET"
DEPLOYER = {"login": "Deployer", "type": "User"}


def _digest_of_the_real_plan(kit) -> str:
    """What the plan's digest is right now (planned on another pull request, #99)."""
    r = kit.run("plan", "examples/", payload=kit.pr_event(99))
    assert r.code == 0, r.output
    return comment.parse_marker(kit.comments(99)[0]["body"])[1]


def _apply(kit, **kw):
    return kit.run("apply", "examples/", event="push", payload={}, sha=MERGE_SHA, **kw)


def _edits_of(kit, c: dict) -> list:
    return kit.gh.calls("PATCH", rf"/issues/comments/{c['id']}$")


def test_a_members_marker_comment_is_never_edited_nor_adopted(kit):
    forged = kit.gh.add_comment(7, comment.plan_marker("examples/", "0" * 64) + "\nNo changes", user=MEMBER, association="MEMBER")
    assert kit.run("plan", "examples/").code == 0
    assert _edits_of(kit, forged) == [] and forged["body"].endswith("No changes")
    ours = [c for c in kit.comments() if c is not forged]
    assert len(ours) == 1 and ours[0]["user"] == BOT
    # the next push edits our comment, still not theirs
    kit.edit("examples/desk-btc.yaml", 'rate: "0.1"', 'rate: "0.12"')
    assert kit.run("plan", "examples/").code == 0
    assert _edits_of(kit, forged) == [] and len(kit.comments()) == 2
    assert len(_edits_of(kit, ours[0])) == 1


def test_another_bots_marker_comment_is_not_ours_either(kit):
    forged = kit.gh.add_comment(7, comment.plan_marker("examples/", None) + "\nbot text", user=OTHER_BOT, association="NONE")
    assert kit.run("plan", "examples/").code == 0
    assert _edits_of(kit, forged) == []
    assert [c["user"] for c in kit.comments()] == [OTHER_BOT, BOT]


def test_a_failed_run_never_marks_someone_elses_comment_stale(kit):
    from reconciler.sandbox import Fault

    forged = kit.gh.add_comment(7, comment.plan_marker("examples/", "0" * 64) + "\nmine", user=MEMBER, association="OWNER")
    kit.sb.inject(Fault(kind="5xx_before", status=418, times=None))
    r = kit.run("plan", "examples/")
    assert r.code == 1
    assert kit.gh.writes() == [] and forged["body"].endswith("mine")


def test_a_fork_that_cannot_comment_leaves_no_reviewed_plan_whatever_a_member_writes(kit):
    digest = _digest_of_the_real_plan(kit)
    fork = kit.pr_event(7, head_repo="stranger/leaders")
    kit.gh.fail("POST", r"/issues/7/comments$", 403, times=5, body={"message": "Resource not accessible by integration"})
    r = kit.run("plan", "examples/", payload=fork, credentials=False)
    assert r.code == 0 and "warning: cannot comment" in r.stderr
    assert kit.comments(7) == []
    # a member copies the real digest into a comment that shows "No changes"; another bot does too
    for user, association in ((MEMBER, "MEMBER"), (MEMBER, "COLLABORATOR"), (OTHER_BOT, "NONE")):
        kit.gh.add_comment(7, comment.plan_marker("examples/", digest) + "\n**No changes.**", user=user, association=association)
    kit.gh.merged_pr(MERGE_SHA, 7)
    kit.sb.clear_requests()
    r = _apply(kit)
    assert r.code == 1 and r.outputs == {"exitcode": "1"}, r.output
    assert "pull request #7 has no leaderctl plan comment for examples/ written by github-actions[bot]" in r.stderr
    assert "nothing was written" in r.stderr
    assert kit.exchange_requests() == []  # refused before a single request to the exchange


def test_the_login_of_a_users_token_is_asked_and_only_its_comments_count(kit):
    kit.gh.add_token(PAT, DEPLOYER)
    as_deployer = {"GITHUB_TOKEN": PAT, "LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": None}  # not the job's token: GET /user says who
    bots = kit.gh.add_comment(7, comment.plan_marker("examples/", "0" * 64) + "\nby the job's bot", user=BOT)
    r = kit.run("plan", "examples/", env=as_deployer)
    assert r.code == 0, r.output
    assert kit.gh.calls("GET", r"^/user$")
    assert _edits_of(kit, bots) == []
    (mine,) = [c for c in kit.comments() if c["user"] == DEPLOYER]
    kit.edit("examples/desk-btc.yaml", 'rate: "0.1"', 'rate: "0.12"')
    assert kit.run("plan", "examples/", env=as_deployer).code == 0
    assert len(_edits_of(kit, mine)) == 1 and _edits_of(kit, bots) == [] and len(kit.comments()) == 2

    kit.gh.merged_pr(MERGE_SHA, 7)
    r = _apply(kit)  # the job's token: github-actions[bot]'s comment shows another digest
    assert r.code == 1 and "the plan changed since it was reviewed" in r.stderr and kit.exchange_writes() == []
    r = _apply(kit, env=as_deployer)  # the deployer's token: its own comment is the review
    assert r.code == 0, r.output
    assert kit.exchange_writes()


def test_an_installation_token_run_by_hand_is_the_jobs_bot_and_is_checked_on_write(kit):
    by_hand = {"LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": None}  # `leaderctl github plan` in a run: step, not the action
    r = kit.run("plan", "examples/", env=by_hand)
    assert r.code == 0, r.output
    assert [q.path for q in kit.gh.calls("GET", r"^/user$")] == ["/user"]  # 403: an installation token
    (c,) = kit.comments()
    assert c["user"] == BOT

    # another GitHub App's installation token: GitHub shows the comment under that app's bot
    kit.gh.add_token("ghs_OTHERAPP0123456789abcdefSECRET", OTHER_BOT, user_token=False)
    r = kit.run("plan", "examples/", payload=kit.pr_event(8), env={**by_hand, "GITHUB_TOKEN": "ghs_OTHERAPP0123456789abcdefSECRET"})
    assert r.code == 1, r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert "is by helpful-app[bot], not github-actions[bot]" in line and "it will not be trusted" in line
    assert "Traceback" not in r.output


def test_the_action_says_when_the_token_is_not_the_jobs(kit):
    kit.gh.add_token("ghs_OTHERAPP0123456789abcdefSECRET", OTHER_BOT, user_token=False)
    r = kit.run("plan", "examples/", env={"GITHUB_TOKEN": "ghs_OTHERAPP0123456789abcdefSECRET", "LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": "false"})
    assert r.code == 1
    assert "installation token other than the job's" in r.stderr
    assert kit.gh.writes() == []  # found out before anything was written


def test_a_drift_issue_by_another_bot_is_not_ours(kit):
    kit.gh.labels.add("drift")
    theirs = kit.gh.add_issue("<!-- leaderctl-drift path=examples/ -->\n<!-- leaderctl-drift-sha256 " + "0" * 64 + " -->\nx", user=OTHER_BOT)
    kit.edit_live("desk-btc", profitRate="0.15")
    r = kit.run("drift", "examples/", event="schedule", payload={}, sha="d" * 40)
    assert r.code == 2, r.output
    assert theirs["body"].endswith("\nx") and not kit.gh.calls("PATCH", rf"/issues/{theirs['number']}$")
    assert len(kit.gh.open_issues()) == 2


def test_a_listing_with_one_id_twice_is_refused_unless_the_same_entry():
    from reconciler.github.api import MalformedAnswer

    own = {"id": 1, "body": comment.plan_marker("examples/", None) + "\nplan", "user": BOT}
    other = {"id": 1, "body": "no marker", "user": BOT}
    assert comment.checked([own, dict(own)], "listing", "GET /x") == [own, own]  # a page that moved: harmless
    with pytest.raises(MalformedAnswer) as e:
        comment.checked([other, own], "listing", "GET /x")  # an edit of id 1 would change which one?
    assert "[1].id 1 occurs twice, with different contents" in str(e.value)
