"""CONTRACT §9: the GitHub API is untrusted too. One deadline per request as a whole (a
trickled body included), lists bounded in bytes and items over every page, and any
answer of another shape is one located line and exit 1 (never a traceback, never a
MemoryError). Over real HTTP against the fake GitHub API."""
from __future__ import annotations

import json
import time

import pytest
from fake_github import REPO, TOKEN
from github_kit import MERGE_SHA

from reconciler.github import api as gh_api
from reconciler.github.api import GitHubApi, GitHubError

COMMENTS = rf"/repos/{REPO}/issues/7/comments$"


def _api(gh, timeout=30.0):
    return GitHubApi(gh.url, TOKEN, timeout=timeout, retry_delay=0)


def _list(gh, timeout=30.0):
    return _api(gh, timeout).paginate(f"/repos/{REPO}/issues/7/comments", what="listing the comments of pull request #7")


def _reviewed(kit):
    r = kit.run("plan", "examples/")
    assert r.code == 0, r.output
    kit.gh.merged_pr(MERGE_SHA, 7)
    kit.sb.clear_requests()


def _apply(kit, *args, env=None):
    return kit.run("apply", *args, "examples/", event="push", payload={}, sha=MERGE_SHA, env=env)


# ---------------------------------------------------------------- one deadline per request


def test_a_trickled_answer_ends_at_the_deadline(gh):
    gh.answer("GET", COMMENTS, json.dumps([{"id": 1, "body": "x" * 200}]).encode(), trickle=0.05)  # about 11 s in all
    started = time.monotonic()
    with pytest.raises(GitHubError) as e:
        _list(gh, timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    assert str(e.value).startswith("GitHub did not answer within 1 s while listing the comments of pull request #7")
    assert "--timeout" in str(e.value) and "LEADERCTL_TIMEOUT" in str(e.value)
    assert len(gh.requests) == 1  # a timeout is not retried: the deadline is the request's as a whole


def test_the_deadline_covers_the_retry_too(gh):
    gh.fail("GET", COMMENTS, 502)
    gh.answer("GET", COMMENTS, b"[]" + b" " * 100, trickle=0.05)
    started = time.monotonic()
    with pytest.raises(GitHubError, match="did not answer within 1 s"):
        _list(gh, timeout=1.0)
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("how", ["LEADERCTL_TIMEOUT", "--timeout"])
def test_apply_stops_at_the_deadline_and_sends_nothing(kit, how):
    _reviewed(kit)
    body = json.dumps(kit.comments()).encode()
    kit.gh.answer("GET", COMMENTS, body, trickle=max(6.0 / len(body), 0.0005))  # about 6 s: each byte well within any read timeout
    started = time.monotonic()
    if how == "--timeout":
        r = kit.run("apply", "--timeout", "1", "examples/", event="push", payload={}, sha=MERGE_SHA)
    else:
        r = _apply(kit, env={"LEADERCTL_TIMEOUT": "1"})
    elapsed = time.monotonic() - started
    assert r.code == 1 and r.outputs == {"exitcode": "1"}, r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert "GitHub did not answer within 1 s while listing the comments of pull request #7" in line
    assert elapsed < 4.0, elapsed
    assert kit.exchange_requests() == []


# ---------------------------------------------------------------- lists are bounded


def _endless(gh, items_per_page: int, item_bytes: int):
    """Every page full, each linking to the next, for ever."""

    def make(query):
        page = int(query.get("page", 1))
        items = [{"id": page * 1000 + i, "body": "y" * item_bytes, "user": {"login": "someone"}} for i in range(items_per_page)]
        link = f'<{gh.url}/repos/{REPO}/issues/7/comments?per_page=100&page={page + 1}>; rel="next"'
        return 200, json.dumps(items).encode(), {"Link": link}

    gh.answer("GET", COMMENTS, make=make)


def test_endless_pages_stop_at_the_item_cap(gh):
    _endless(gh, 100, 10)
    with pytest.raises(GitHubError) as e:
        _list(gh)
    assert f"more than {gh_api.MAX_LIST_ITEMS} items" in str(e.value)
    assert len(gh.requests) == gh_api.MAX_LIST_ITEMS // 100 + 1


def test_large_pages_stop_at_the_byte_cap_with_memory_bounded(gh):
    import resource

    _endless(gh, 4, 1024 * 1024)  # 4 MiB pages
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(GitHubError) as e:
        _list(gh)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert f"{gh_api.MAX_LIST_BYTES // (1024 * 1024)} MiB" in str(e.value)
    assert len(gh.requests) == gh_api.MAX_LIST_BYTES // (4 * 1024 * 1024 + 100) + 1
    assert grown_mib < 400, grown_mib


def test_a_page_longer_than_asked_for_is_malformed(gh):
    gh.answer("GET", COMMENTS, json.dumps([{"id": i} for i in range(101)]).encode())
    with pytest.raises(GitHubError, match=r"malformed \(GET /repos/acme/leaders/issues/7/comments\): a page of 101 items"):
        _list(gh)


def test_an_oversized_answer_is_refused(gh):
    gh.answer("GET", COMMENTS, b"[" + b" " * (gh_api.MAX_BODY + 10) + b"]")
    with pytest.raises(GitHubError, match="larger than 16 MiB"):
        _list(gh)


# ---------------------------------------------------------------- malformed answers


MALFORMED = [
    (b"<html>rate limited</html>", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"message": "ok"}', "the answer is an object, not a list"),
    (b'["a comment"]', "[0] is a string, not an object"),
    (b'[{"id": "1001", "body": "x"}]', "[0].id is a string, not an integer"),
    (b'[{"id": 1001, "body": ["x"]}]', "[0].body is a list, not a string"),
    (b'[{"id": 1001, "body": "x", "user": "github-actions[bot]"}]', "[0].user is a string, not an object"),
    (b'[{"id": 1001, "body": "x", "user": {"login": 7}}]', "[0].user.login is a number, not a string"),
    (b'[{"id": true, "body": "x"}]', "[0].id is a boolean, not an integer"),
]


@pytest.mark.parametrize("raw, detail", MALFORMED, ids=[d for _, d in MALFORMED])
def test_a_malformed_comment_list_is_one_located_line_and_nothing_is_sent(kit, raw, detail):
    _reviewed(kit)
    kit.gh.answer("GET", COMMENTS, raw)
    r = _apply(kit)
    assert r.code == 1 and r.outputs == {"exitcode": "1"}, r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert "GitHub's answer while listing the comments of pull request #7 is malformed (GET /repos/acme/leaders/issues/7/comments)" in line
    assert detail in line
    assert kit.exchange_requests() == []


@pytest.mark.parametrize("raw, detail", [
    (b'{"total": 1}', "not a list"),
    (b'[{"number": 7, "merged_at": 5, "merge_commit_sha": "x"}]', "[0].merged_at is a number, not a string"),
    (b'[{"number": "7", "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": "' + MERGE_SHA.encode() + b'"}]',
     "[0].number is a string, not an integer"),
])
def test_a_malformed_pull_request_lookup_is_one_located_line(kit, raw, detail):
    kit.gh.answer("GET", r"/commits/.*/pulls$", raw)
    r = _apply(kit)
    assert r.code == 1 and "internal error" not in r.output, r.output
    assert "malformed (GET /repos/acme/leaders/commits/" in r.stderr and detail in r.stderr
    assert kit.exchange_requests() == []


def test_a_malformed_answer_to_the_comment_written_is_one_line(kit):
    kit.gh.answer("POST", COMMENTS, b'"created"', status=201)
    r = kit.run("plan", "examples/")
    assert r.code == 1 and "internal error" not in r.output, r.output
    assert "is by someone else, not github-actions[bot]" in r.stderr


def test_a_malformed_get_user_is_one_line(kit):
    kit.gh.answer("GET", r"^/user$", b'{"login": ["x"]}')
    kit.gh.add_comment(7, "<!-- leaderctl-plan path=examples/ plan_sha256=none -->\nx", user={"login": "x", "type": "User"})
    r = kit.run("plan", "examples/", env={"LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": None})
    assert r.code == 1 and "internal error" not in r.output, r.output
    assert "malformed (GET /user): login is a list, not a string" in r.stderr
