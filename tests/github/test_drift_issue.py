"""`leaderctl github drift` on a schedule: one open `drift` issue per config path."""
from __future__ import annotations

from fake_github import BOT


def _drift(kit, path: str = "examples/"):
    return kit.run("drift", path, event="schedule", payload={}, sha="d" * 40)


def _in_sync(kit):
    r = kit.run("apply", "--no-verify-plan", "examples/", event="push", payload={})
    assert r.code == 0, r.output


def test_opened_updated_only_when_the_drift_changes_then_closed(kit):
    _in_sync(kit)
    kit.gh.requests.clear()
    r = _drift(kit)
    assert r.code == 0 and r.outputs == {"exitcode": "0"}
    assert kit.gh.writes() == [] and kit.gh.issues == {}  # in sync, nothing open: nothing to do

    kit.edit_live("desk-btc", profitRate="0.15")
    r = _drift(kit)
    assert r.code == 2 and r.outputs == {"exitcode": "2"}, r.output
    (issue,) = kit.gh.open_issues()
    assert issue["body"].startswith("<!-- leaderctl-drift path=examples/ -->\n")
    assert [x["name"] for x in issue["labels"]] == ["drift"] and "drift" in kit.gh.labels
    assert "<code>desk-btc</code>" in issue["body"] and '"0.15"' in issue["body"]
    assert "examples/" in issue["title"]
    assert "## leaderctl drift · `examples/`" in r.summary

    # the same drift again: no edit, no comment, no notification
    kit.gh.requests.clear()
    assert _drift(kit).code == 2
    assert kit.gh.writes() == []

    # the drift changed: the body is updated and a comment tells the watchers
    kit.edit_live("eth-desk", profitRate="0.2")
    assert _drift(kit).code == 2
    assert [(q.method, q.path.rsplit("/", 1)[-1]) for q in kit.gh.writes()] == [("PATCH", str(issue["number"])), ("POST", "comments")]
    (issue,) = kit.gh.open_issues()
    assert "<code>eth-desk</code>" in issue["body"]
    assert "The drift changed" in kit.comments(issue["number"])[-1]["body"]

    # back in sync: closed, with a comment
    _in_sync(kit)
    kit.gh.requests.clear()
    r = _drift(kit)
    assert r.code == 0, r.output
    assert kit.gh.open_issues() == []
    assert kit.gh.issues[issue["number"]]["state"] == "closed"
    assert "Back in sync" in kit.comments(issue["number"])[-1]["body"]
    assert f"closed drift issue #{issue['number']}" in r.stdout


def test_errors_leave_the_issue_alone(kit):
    kit.gh.labels.add("drift")
    open_issue = kit.gh.add_issue("<!-- leaderctl-drift path=examples/ -->\n<!-- leaderctl-drift-sha256 " + "0" * 64 + " -->\nold report")
    kit.edit("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    kit.gh.requests.clear()
    r = _drift(kit)
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    assert "left as it is" in r.stderr
    assert kit.gh.requests == [] and open_issue["state"] == "open" and open_issue["body"].endswith("old report")

    kit.edit("examples/desk-btc.yaml", "position_type: cross", "position_type: diagonal")
    r = _drift(kit)
    assert r.code == 1 and "examples/desk-btc.yaml:" in r.stderr
    assert kit.gh.requests == []


def test_one_issue_per_config_path_and_not_someone_elses(kit):
    (kit.root / "staging").mkdir()
    (kit.root / "examples" / "desks").rename(kit.root / "staging" / "desks")
    kit.gh.labels.add("drift")
    human = kit.gh.add_issue("a person's issue labelled drift", user={"login": "someone", "type": "User"})
    quoting = kit.gh.add_issue("<!-- leaderctl-drift path=examples/ -->\nquoted by a passer-by", user={"login": "x", "type": "User"})
    pr = kit.gh.add_issue("<!-- leaderctl-drift path=examples/ -->", pull_request=True, user=BOT)
    assert _drift(kit, "examples/").code == 2
    assert _drift(kit, "staging/").code == 2
    ours = [i for i in kit.gh.open_issues() if i not in (human, quoting, pr)]
    assert sorted(i["body"].split("\n", 1)[0] for i in ours) == [
        "<!-- leaderctl-drift path=examples/ -->",
        "<!-- leaderctl-drift path=staging/ -->",
    ]
    assert [q.path for q in kit.gh.calls("POST", r"/labels$")] == ["/repos/acme/leaders/labels"] * 2  # 422 "exists" is fine
    assert quoting["body"].endswith("passer-by")  # untouched


def test_follower_removals_are_not_drift(kit):
    _in_sync(kit)
    kit.edit("examples/desk-btc.yaml", "remove: [100000027]", "remove: [100000027, 100000031]")
    kit.gh.requests.clear()
    r = _drift(kit)
    assert r.code == 0, r.output  # a follower to remove is not drift: nothing opened
    assert kit.gh.writes() == [] and kit.gh.issues == {}
    assert "**No drift** · ✅ 7 in sync" in r.summary

    kit.edit_live("desk-btc", profitRate="0.15")
    assert _drift(kit).code == 2
    (issue,) = kit.gh.open_issues()
    assert "**Drift: 1 leader drifted** (1 change) · ✅ 6 in sync" in issue["body"]
    assert ('! settings.profit_sharing.rate changed outside the config: the exchange has "0.15", the config says "0.1"'
            in issue["body"])
    assert "100000027" not in issue["body"] and "follower" not in issue["body"]
    kit.edit("examples/desk-btc.yaml", "remove: [100000027, 100000031]", "remove: [100000027]")
    kit.gh.requests.clear()
    assert _drift(kit).code == 2
    assert kit.gh.writes() == []  # the same drift: the issue is left alone
