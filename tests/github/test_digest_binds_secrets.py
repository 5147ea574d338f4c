"""CONTRACT §9: the digest binds the invite code a write carries (as a keyed hash): reviewed
with one code, merged with the variable holding another, `github apply` refuses."""
from __future__ import annotations

import hashlib

from github_kit import INVITE_CODE, MERGE_SHA


def _reviewed(kit):
    r = kit.run("plan", "examples/", payload=kit.pr_event(7))
    assert r.code == 0, r.output
    assert "settings.invite.code" in kit.comments()[0]["body"]  # desk-btc's PUT carries the code
    kit.gh.merged_pr(MERGE_SHA, 7)
    kit.sb.clear_requests()


def _apply(kit, code: str):
    return kit.run("apply", "examples/", event="push", payload={}, sha=MERGE_SHA, env={"DESK_BTC_INVITE_CODE": code})


def test_another_invite_code_after_the_review_is_the_plan_changed(kit):
    _reviewed(kit)
    body = kit.comments()[0]["body"]
    assert hashlib.sha256(INVITE_CODE.encode()).hexdigest() not in body  # never an unkeyed hash of the code
    r = _apply(kit, "OTHERX99")
    assert r.code == 1, r.output
    assert "the plan changed since it was reviewed in pull request #7" in r.stderr
    assert kit.exchange_writes() == []
    assert "OTHERX99" not in r.output


def test_the_reviewed_invite_code_applies(kit):
    _reviewed(kit)
    r = _apply(kit, INVITE_CODE)
    assert r.code == 0, r.output
    puts = [q for q in kit.exchange_writes() if q.method == "PUT"]
    assert INVITE_CODE in [q.body.get("inviteCode") for q in puts]
