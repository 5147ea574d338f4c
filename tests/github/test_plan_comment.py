"""`leaderctl github plan` on a pull request: one comment per config path, edited in place."""
from __future__ import annotations

import re

from reconciler.github import comment
from reconciler.render import as_markdown

MARKER = re.compile(r"^<!-- leaderctl-plan path=(\S+) plan_sha256=([0-9a-f]{64}|none) -->\n")


def test_comment_is_created_then_edited_in_place(kit):
    r = kit.run("plan", "examples/")
    assert r.code == 0, r.output
    assert r.outputs == {"exitcode": "0"}
    (c,) = kit.comments()
    m = MARKER.match(c["body"])
    assert m and m.group(1) == "examples/" and m.group(2) != "none"
    assert "<details open><summary><code>desk-btc</code> · " in c["body"]
    assert "<details" in c["body"] and "```diff" in c["body"]
    assert f"plan_sha256 `{m.group(2)[:12]}`" in c["body"]
    assert "## leaderctl plan · `examples/`" in r.summary and m.group(2) in r.summary
    assert "::warning file=examples/desk-btc.yaml" in r.stderr  # annotations on the config lines
    assert [q.method for q in kit.gh.writes()] == ["POST"]
    first_id, first_digest = c["id"], m.group(2)

    # a push that changes the plan: the same comment, a new digest
    kit.edit("examples/desk-btc.yaml", 'rate: "0.1"', 'rate: "0.12"')
    r = kit.run("plan", "examples/")
    assert r.code == 0, r.output
    (c,) = kit.comments()
    assert c["id"] == first_id
    assert MARKER.match(c["body"]).group(2) not in (first_digest, "none")
    assert [q.method for q in kit.gh.writes()] == ["POST", "PATCH"]
    assert not kit.exchange_writes()


def test_two_config_paths_keep_two_comments(kit):
    (kit.root / "staging").mkdir()
    (kit.root / "examples" / "desks").rename(kit.root / "staging" / "desks")
    assert kit.run("plan", "examples/").code == 0
    assert kit.run("plan", "staging/").code == 0
    assert kit.run("plan", "examples/").code == 0
    bodies = [c["body"] for c in kit.comments()]
    assert len(bodies) == 2
    assert sorted(MARKER.match(b).group(1) for b in bodies) == ["examples/", "staging/"]
    assert [q.method for q in kit.gh.writes()] == ["POST", "POST", "PATCH"]


def test_a_comment_quoting_the_marker_by_someone_else_is_not_ours(kit):
    kit.gh.add_comment(7, comment.plan_marker("examples/", "0" * 64) + "\nhand-written", association="NONE")
    assert kit.run("plan", "examples/").code == 0
    assert len(kit.comments()) == 2
    assert [q.method for q in kit.gh.writes()] == ["POST"]


def test_fork_pull_request_only_validates_and_sends_nothing_to_the_exchange(kit):
    fork = kit.pr_event(head_repo="stranger/leaders")
    kit.gh.fail("POST", r"/comments$", 403, body={"message": "Resource not accessible by integration"})
    r = kit.run("plan", "examples/", payload=fork, credentials=False)
    assert r.code == 0, r.output
    assert r.outputs == {"exitcode": "0"}
    assert kit.exchange_requests() == []
    assert "needs the base repository's secrets" in r.summary and "fork" in r.summary
    assert "warning: cannot comment" in r.stderr  # the read-only token of a fork: a warning, not a failure

    kit.gh.faults.clear()
    r = kit.run("plan", "examples/", payload=fork)  # even with keys in the environment
    assert r.code == 0 and kit.exchange_requests() == []
    (c,) = kit.comments()
    assert MARKER.match(c["body"]).group(2) == "none"
    assert "needs the base repository's secrets" in c["body"]


def test_deleted_fork_counts_as_a_fork(kit):
    r = kit.run("plan", "examples/", payload=kit.pr_event(head_repo=None))
    assert r.code == 0 and kit.exchange_requests() == []


def test_no_secrets_is_neutral_too(kit):
    r = kit.run("plan", "examples/", credentials=False)
    assert r.code == 0, r.output
    assert kit.exchange_requests() == []
    (c,) = kit.comments()
    assert "without the repository's secrets" in c["body"] and MARKER.match(c["body"]).group(2) == "none"


def test_invalid_config_replaces_the_plan_with_the_errors(kit):
    assert kit.run("plan", "examples/").code == 0
    kit.edit("examples/desk-btc.yaml", "position_type: cross", "position_type: diagonal")
    r = kit.run("plan", "examples/")
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    (c,) = kit.comments()
    assert MARKER.match(c["body"]).group(2) == "none"
    assert "The config is invalid" in c["body"] and "examples/desk-btc.yaml:" in c["body"]
    assert "| `desk-btc` |" not in c["body"]
    assert "::error file=examples/desk-btc.yaml,line=" in r.stderr
    assert kit.exchange_requests() and not kit.exchange_writes()


def test_a_failed_run_marks_the_earlier_comment_stale(kit):
    from reconciler.sandbox import Fault

    assert kit.run("plan", "examples/").code == 0
    before = kit.comments()[0]["body"]
    kit.sb.inject(Fault(kind="5xx_before", status=418, times=None))  # the exchange bans this IP: the run stops
    r = kit.run("plan", "examples/")
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    assert "banned" in r.stderr
    (c,) = kit.comments()
    assert MARKER.match(c["body"]).group(2) == "none"  # apply cannot take it any more
    assert "This plan is stale" in c["body"] and "banned" in c["body"]
    assert "<summary><code>desk-btc</code> · " in c["body"]  # the old plan stays below the banner
    assert before.split("\n", 1)[1] in c["body"]

    kit.run("plan", "examples/")  # a second failure: still one banner
    assert kit.comments()[0]["body"].count("This plan is stale") == 1


def test_blocked_leader_fails_the_check_with_the_plan_shown(kit):
    kit.edit("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    r = kit.run("plan", "examples/")
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    (c,) = kit.comments()
    assert "⛔" in c["body"] and MARKER.match(c["body"]).group(2) != "none"


def test_long_plans_stay_under_the_comment_limit(kit, monkeypatch):
    monkeypatch.setattr(as_markdown, "LIMIT", 3000)
    r = kit.run("plan", "examples/")
    assert r.code == 0, r.output
    (c,) = kit.comments()
    body = c["body"]
    assert len(body) <= 3000
    assert MARKER.match(body) and "Too long for one comment" in body and "step summary" in body
    assert body.count("<details") == body.count("</details>")
    assert len(re.findall(r"^```", body, re.M)) % 2 == 0  # no code block left open
    assert "<code>desk-btc</code>" in r.summary and "<code>eth-desk</code>" in r.summary  # the summary has everything


def test_not_a_pull_request_is_a_usage_error(kit):
    r = kit.run("plan", "examples/", event="push", payload={})
    assert r.code == 1 and "runs on pull_request events" in r.stderr
    assert r.outputs == {"exitcode": "1"}
    assert kit.gh.requests == []
