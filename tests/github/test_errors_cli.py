"""What a person sees when GitHub's API refuses or fails: one line, what to do, never the token."""
from __future__ import annotations

from fake_github import TOKEN
from github_kit import MERGE_SHA


def test_missing_permission_on_the_comment_names_it(kit):
    kit.gh.fail("POST", r"/issues/7/comments$", 403, body={"message": "Resource not accessible by integration"})
    r = kit.run("plan", "examples/")
    assert r.code == 1 and r.outputs == {"exitcode": "1"}
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert "the token lacks `pull-requests: write` permission: add `permissions: pull-requests: write` to the job" in line


def test_a_rejected_token_says_so(kit):
    r = kit.run("plan", "examples/", env={"GITHUB_TOKEN": "ghs_expired_one"})
    assert r.code == 1
    assert "GitHub rejected the token (401 Unauthorized)" in r.stderr and "github-token" in r.stderr
    assert "ghs_expired_one" not in r.output


def test_404_on_the_merged_pull_request_lookup(kit):
    kit.gh.fail("GET", r"/commits/.*/pulls$", 404)
    r = kit.run("apply", "examples/", event="push", payload={}, sha=MERGE_SHA)
    assert r.code == 1 and "404 Not Found while finding the pull request merged as" in r.stderr
    assert "GITHUB_REPOSITORY" in r.stderr
    assert kit.exchange_requests() == []


def test_a_5xx_is_retried_once_then_the_run_goes_on(kit):
    kit.gh.fail("GET", r"/issues/7/comments$", 502)
    kit.gh.fail("POST", r"/issues/7/comments$", 503)
    r = kit.run("plan", "examples/")
    assert r.code == 0, r.output
    assert [q.method for q in kit.gh.requests] == ["GET", "GET", "POST", "POST"]
    assert len(kit.comments()) == 1


def test_two_5xx_fail_the_run(kit):
    kit.gh.fail("GET", r"/issues\?|/issues$", 500, times=2)
    r = kit.run("drift", "examples/", event="schedule", payload={})
    assert r.code == 1 and "GitHub answered 500 twice while listing the open issues labelled drift" in r.stderr


def test_outside_actions_it_says_what_is_missing(kit):
    r = kit.run("plan", "examples/", env={"GITHUB_TOKEN": None, "GITHUB_REPOSITORY": None})
    assert r.code == 1
    assert "GITHUB_REPOSITORY, GITHUB_TOKEN not set" in r.stderr
    assert kit.gh.requests == [] and kit.exchange_requests() == []


def test_the_token_is_in_no_output_even_when_github_echoes_it(kit):
    kit.gh.fail("POST", r"/comments$", 422, body={"message": f"Validation failed for token {TOKEN}"})
    r = kit.run("plan", "examples/")
    assert r.code == 1 and "GitHub answered 422" in r.stderr and "***" in r.stderr
    assert TOKEN not in r.output and TOKEN not in r.summary
