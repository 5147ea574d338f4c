"""`leaderctl github drift --refresh-pr`: on drift, the refreshed files are committed to
`leaderctl/refresh/<path>` through the git data API and proposed in one pull request,
updated on the next drift, closed back in sync; only the job token's own pull request
is ever touched (docs/contract.md §11)."""
from __future__ import annotations

from pathlib import Path

from fake_github import BOT

BASE = "d" * 40
BRANCH = "leaderctl/refresh/examples"


def _base_commit(kit) -> None:
    files = {p.relative_to(kit.root).as_posix(): p.read_text() for p in (kit.root / "examples").rglob("*.yaml")}
    kit.gh.add_commit(BASE, files, message="the default branch")


def _drift(kit, *extra):
    return kit.run("drift", "--refresh-pr", *extra, "examples/", event="schedule",
                   payload={"repository": {"full_name": "acme/leaders", "default_branch": "main"}}, sha=BASE)


def _in_sync(kit):
    r = kit.run("apply", "--no-verify-plan", "examples/", event="push", payload={})
    assert r.code == 0, r.output


def test_opened_then_updated_on_the_next_drift_then_closed_in_sync(kit):
    _in_sync(kit)
    _base_commit(kit)
    kit.edit_live("desk-btc", profitRate="0.15")
    r = _drift(kit)
    assert r.code == 2, r.output
    (pr,) = kit.gh.open_pulls()
    assert pr["body"].startswith("<!-- leaderctl-refresh path=examples/ -->\n")
    assert pr["head"] == {"ref": BRANCH} and pr["base"] == {"ref": "main"} and pr["user"] == BOT
    assert '-        rate: "0.1"\n+        rate: "0.15"' in pr["body"] and "<code>desk-btc</code> · 1 change" in pr["body"]
    files = kit.gh.files_at(BRANCH)
    assert files["examples/desk-btc.yaml"] == (kit.root / "examples/desk-btc.yaml").read_text().replace('rate: "0.1"', 'rate: "0.15"')
    assert {p: t for p, t in files.items() if p != "examples/desk-btc.yaml"} == {
        p.relative_to(kit.root).as_posix(): p.read_text() for p in (kit.root / "examples").rglob("*.yaml") if p.name != "desk-btc.yaml"}
    head = kit.gh.branches[BRANCH]
    assert kit.gh.commits[head]["parents"] == [BASE]
    (issue,) = kit.gh.open_issues()
    assert f"#{pr['number']}" in issue["body"]  # linked from the drift issue
    assert (kit.root / "examples/desk-btc.yaml").read_text().count('rate: "0.1"') == 1  # the checkout is not written
    # nothing but the GitHub API: no token in a remote URL, no git
    assert all(q.path.startswith("/repos/acme/leaders/") for q in kit.gh.requests)

    # the same drift again: no new commit, no edit
    kit.gh.requests.clear()
    assert _drift(kit).code == 2
    assert [q for q in kit.gh.writes() if "/git/commits" in q.path or "/pulls" in q.path or "/git/refs" in q.path] == []
    assert kit.gh.branches[BRANCH] == head

    # the next drift: the same pull request gets a new commit and body
    kit.edit_live("eth-desk", profitRate="0.12")
    assert _drift(kit).code == 2
    (again,) = kit.gh.open_pulls()
    assert again["number"] == pr["number"] and "eth-desk" in again["body"]
    assert kit.gh.branches[BRANCH] != head and kit.gh.commits[kit.gh.branches[BRANCH]]["parents"] == [BASE]
    eth = (kit.root / "examples/desks/eth-desk.yaml").read_text()
    assert kit.gh.files_at(BRANCH)["examples/desks/eth-desk.yaml"] == eth.replace("rate: 0.08", "rate: 0.12", 1)  # plain stays plain

    # back in sync: the pull request is closed, with a comment
    _in_sync(kit)
    r = _drift(kit)
    assert r.code == 0, r.output
    assert kit.gh.open_pulls() == [] and kit.gh.pulls[pr["number"]]["state"] == "closed"
    assert "Back in sync" in kit.comments(pr["number"])[-1]["body"]


def test_a_pull_request_someone_else_opened_is_never_touched(kit):
    _in_sync(kit)
    _base_commit(kit)
    kit.gh.branches[BRANCH] = BASE
    theirs = kit.gh.add_pull(BRANCH, "<!-- leaderctl-refresh path=examples/ -->\nlooks like ours", user={"login": "mallory", "type": "User"})
    kit.edit_live("desk-btc", profitRate="0.15")
    r = _drift(kit)
    assert r.code == 1 and "which leaderctl did not open: it is left alone" in r.stderr
    assert kit.gh.branches[BRANCH] == BASE and kit.gh.pulls[theirs["number"]]["body"].endswith("looks like ours")
    _in_sync(kit)
    assert _drift(kit).code == 0
    assert kit.gh.pulls[theirs["number"]]["state"] == "open"  # not ours: not closed either


def test_a_branch_with_a_commit_leaderctl_did_not_make_is_left_alone(kit):
    _in_sync(kit)
    _base_commit(kit)
    kit.gh.add_commit("e" * 40, {"examples/desk-btc.yaml": "someone's work\n"}, message="wip", parents=(BASE,))
    kit.gh.branches[BRANCH] = "e" * 40
    kit.edit_live("desk-btc", profitRate="0.15")
    r = _drift(kit)
    assert r.code == 1 and "has a commit leaderctl did not make" in r.stderr
    assert kit.gh.branches[BRANCH] == "e" * 40 and kit.gh.pulls == {}


def test_without_the_option_no_pull_request(kit):
    _in_sync(kit)
    _base_commit(kit)
    kit.edit_live("desk-btc", profitRate="0.15")
    r = kit.run("drift", "examples/", event="schedule", payload={}, sha=BASE)
    assert r.code == 2 and kit.gh.pulls == {} and kit.gh.branches == {}
    assert not [q for q in kit.gh.requests if "/git/" in q.path or "/pulls" in q.path]


def test_an_invite_code_difference_alone_opens_no_pull_request_and_shows_no_code(kit):
    _in_sync(kit)
    _base_commit(kit)
    kit.edit_live("desk-btc", inviteCode="OTHER777")
    r = _drift(kit)
    assert r.code == 2, r.output
    assert kit.gh.pulls == {} and "the live invite code differs" in r.stderr
    assert "OTHER777" not in r.output and "OTHER777" not in str([q.body for q in kit.gh.requests])
    assert Path(kit.root / "examples/desk-btc.yaml").read_text().count("code_env: DESK_BTC_INVITE_CODE") == 1
