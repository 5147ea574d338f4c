"""Fuzz (hypothesis) the GitHub side: whatever GitHub's API answers (over real HTTP, from the
fake API) and whatever the event payload holds, the result is correct behaviour or one
clean, located line (a LeaderctlError): never another exception, never the token, never a
second line, and in bounded time. The oracle for the review: apply takes a digest only
from a comment with this path's marker that github-actions[bot] wrote."""
from __future__ import annotations

import json
import time

import pytest
from fake_github import BOT, REPO, TOKEN
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.errors import LeaderctlError
from reconciler.github import comment, review
from reconciler.github.actions_env import ActionsEnv, EventError
from reconciler.github.api import GitHubApi
from reconciler.github.identity import Identity

SHA = "b" * 40
KEY = "examples/"
DIGEST = "1" * 64
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["github-actions[bot]", "GitHub-Actions[bot]", "Bot", "MEMBER", SHA, "2026-11-20T10:00:00Z", "\x1b[31m", "7"]),
)  # fmt: skip
JSONS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=10)
MARKERS = st.sampled_from([comment.plan_marker(KEY, DIGEST), comment.plan_marker(KEY, None), comment.plan_marker("other/", DIGEST),
                           comment.plan_marker(KEY, "2" * 64) + "\r\nrest", " " + comment.plan_marker(KEY, DIGEST), "no marker"])
USERS = st.one_of(st.sampled_from([BOT, {"login": "github-actions[bot]", "type": "User"}, {"login": "alice", "type": "User"},
                                   {"login": "other[bot]", "type": "Bot"}, {"login": "GITHUB-ACTIONS[BOT]"}]), JSONS)


@st.composite
def comments(draw):
    """A comment: mostly GitHub's shape with one field odd, sometimes anything."""
    if draw(st.integers(0, 6)) == 0:
        return draw(JSONS)
    c = {"id": draw(st.integers(1, 10**6)), "body": draw(MARKERS) + "\nbody", "user": draw(USERS),
         "author_association": draw(st.sampled_from(["OWNER", "MEMBER", "COLLABORATOR", "NONE"]))}
    if draw(st.integers(0, 3)) == 0:
        field = draw(st.sampled_from(sorted(c)))
        if draw(st.booleans()):
            c.pop(field)
        else:
            c[field] = draw(JSONS)
    return c


PULLS = st.one_of(
    st.just([{"number": 7, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": SHA}]),
    st.lists(st.fixed_dictionaries({"number": SCALARS, "merged_at": SCALARS, "merge_commit_sha": st.one_of(st.just(SHA), SCALARS)}), max_size=2),
    JSONS,
)
RAW = st.one_of(st.binary(max_size=40), st.sampled_from([b"", b"[", b"[" * 5000, b"{}", b"null", b"<html>", b"\xff\xfe"]))
LINKS = st.one_of(st.just(""), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                  st.sampled_from(['<http://127.0.0.2:1/x>; rel="next"', '<http://[::1/x>; rel="next"', '<http://127.0.0.1:99999/x>; rel="next"']))


def expected_digest(answer) -> str | None:
    """The oracle: the digest apply may take from this comment list (None: no review)."""
    for c in answer:
        user = c.get("user")
        if isinstance(user, dict) and isinstance(user.get("login"), str) and user["login"].lower() == "github-actions[bot]":
            parsed = comment.parse_marker(c.get("body") if isinstance(c.get("body"), str) else "")
            if parsed and parsed[0] == KEY:
                return parsed[1]
    return None


def one_clean_line(e: Exception) -> None:
    text = str(e)
    assert isinstance(e, LeaderctlError), repr(e)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and TOKEN not in text, text
    assert len(text) < 1000


def shape_ok(answer) -> bool:
    """Every field apply reads has GitHub's type."""
    if not isinstance(answer, list) or len(answer) > 100:
        return False
    for c in answer:
        if not isinstance(c, dict) or not isinstance(c.get("id"), int) or isinstance(c.get("id"), bool):
            return False
        if c.get("body") is not None and not isinstance(c["body"], str):
            return False
        if c.get("html_url") is not None and not isinstance(c["html_url"], str):
            return False
        user = c.get("user")
        if user is not None and not (isinstance(user, dict) and isinstance(user.get("login"), str)):
            return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pulls=PULLS, answer=st.one_of(st.lists(comments(), max_size=4), JSONS), raw=st.one_of(st.none(), RAW),
       status=st.sampled_from([200, 200, 200, 201, 204, 301, 302, 400, 403, 404, 410, 422, 429, 500, 502]), link=LINKS)
@example(pulls=[{"number": 7, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": SHA}],
         answer=[{"id": 1, "body": comment.plan_marker(KEY, DIGEST), "user": {"login": "alice"}, "author_association": "MEMBER"}],
         raw=None, status=200, link="")
@example(pulls=[{"number": 7, "merged_at": "2026-11-20T10:00:00Z", "merge_commit_sha": SHA}],
         answer=[{"id": 1, "body": comment.plan_marker(KEY, DIGEST), "user": "github-actions[bot]"}], raw=None, status=200, link="")
def test_any_answer_is_the_right_review_or_one_clean_line(gh, pulls, answer, raw, status, link):
    gh.raws.clear()
    gh.requests.clear()
    gh.answer("GET", r"/commits/.*/pulls$", json.dumps(pulls, allow_nan=True).encode())
    body = raw if raw is not None else json.dumps(answer, allow_nan=True).encode()
    gh.answer("GET", r"/issues/7/comments$", body, status=status, headers={"Link": link} if link else {}, times=1)
    gh.answer("GET", r"/issues/7/comments$", b"[]")  # any next page: empty
    api = GitHubApi(gh.url, TOKEN, timeout=5.0, retry_delay=0)
    me = Identity(api, environ={"LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": "true"})
    started = time.monotonic()
    try:
        reviewed = review.reviewed_plan(api, REPO, SHA, KEY, me)
    except LeaderctlError as e:
        one_clean_line(e)
        if isinstance(e, review.NotReviewedError) and raw is None and status == 200 and not link:
            if shape_ok(answer) and "has no leaderctl plan comment" in str(e):
                assert expected_digest(answer) is None
    else:
        assert raw is None or raw.strip().startswith((b"[", b"{")), raw  # a review only from a JSON list
        assert status in (200, 201) and shape_ok(answer)
        assert reviewed.number == 7 and reviewed.digest == expected_digest(answer)
    assert time.monotonic() - started < 10


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(answer=st.one_of(st.lists(comments(), max_size=3), JSONS), created=JSONS, user=st.one_of(st.none(), JSONS))
def test_writing_the_plan_comment_never_edits_someone_elses(gh, answer, created, user):
    gh.raws.clear()
    gh.requests.clear()
    gh.answer("GET", r"/issues/7/comments$", json.dumps(answer, allow_nan=True).encode(), times=1)
    gh.answer("POST", r"/issues/7/comments$", json.dumps(created, allow_nan=True).encode(), status=201)
    gh.answer("PATCH", r"/issues/comments/\d+$", json.dumps(created, allow_nan=True).encode())
    if user is not None:
        gh.answer("GET", r"^/user$", json.dumps(user, allow_nan=True).encode())
    api = GitHubApi(gh.url, TOKEN, timeout=5.0, retry_delay=0)
    me = Identity(api, environ={} if user is not None else {"LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": "true"})
    try:
        comment.upsert(api, REPO, 7, KEY, comment.plan_marker(KEY, DIGEST) + "\nplan", me)
    except LeaderctlError as e:
        one_clean_line(e)
    login = me._login
    for q in gh.calls("PATCH"):  # an edit only of a comment this token wrote, with this path's marker
        cid = int(q.path.rsplit("/", 1)[1])
        (c,) = [c for c in answer if isinstance(c, dict) and c.get("id") == cid][:1]
        assert login and c["user"]["login"].lower() == login.lower()
        assert comment.parse_marker(c["body"])[0] == KEY


@st.composite
def payloads(draw):
    """A pull_request event: mostly the real shape with one field broken or dropped; or anything."""
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return draw(JSONS)
    pr = {"number": 7, "head": {"sha": "a" * 40, "repo": {"full_name": "acme/leaders"}}, "base": {"repo": {"full_name": "acme/leaders"}}}
    paths = [("number",), ("head",), ("head", "sha"), ("head", "repo"), ("head", "repo", "full_name"), ("base",), ("base", "repo"),
             ("base", "repo", "full_name")]
    for path in draw(st.lists(st.sampled_from(paths), max_size=2, unique=True)):
        node = pr
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if draw(st.booleans()):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(JSONS)
    event = {"pull_request": pr}
    if draw(st.booleans()):
        event["repository"] = draw(st.one_of(st.just({"default_branch": "main"}), JSONS))
    return event


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.one_of(payloads(), JSONS), raw=st.one_of(st.none(), RAW))
@example(event={"pull_request": {"number": 7, "head": "main", "base": {}}}, raw=None)
@example(event={"pull_request": {"number": 7, "head": {"sha": "a", "repo": None}, "base": {"repo": {"full_name": ""}}}}, raw=None)
def test_any_event_payload_is_read_right_or_one_located_line(tmp_path, event, raw):
    path = tmp_path / "event.json"
    path.write_bytes(raw if raw is not None else json.dumps(event, allow_nan=True).encode())
    try:
        env = ActionsEnv.from_environ({"GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "acme/leaders"})
        pr = env.pull_request()
        branch = env.default_branch()
    except EventError as e:
        one_clean_line(e)
        assert str(e).startswith("GITHUB_EVENT_PATH")
        return
    assert raw is None or raw.strip()[:1] == b"{"
    data = json.loads(path.read_bytes())
    if pr is None:
        assert data.get("pull_request") is None
    else:
        src = data["pull_request"]
        assert pr.number == src["number"] and type(src["number"]) is int and pr.number > 0
        assert pr.head_sha == src["head"]["sha"]
        head_repo = src["head"].get("repo")
        assert pr.head_repo == (head_repo["full_name"] if head_repo is not None else None)
        base_repo = src["base"].get("repo")
        assert pr.base_repo == (base_repo["full_name"] if base_repo is not None else "acme/leaders")
    repo = data.get("repository")
    assert branch == (repo.get("default_branch") if isinstance(repo, dict) else None)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=payloads())
def test_github_plan_with_any_payload_ends_cleanly(kit, event):
    kit.gh.requests.clear()
    r = kit.run("plan", "examples/", payload=event)
    assert "internal error" not in r.output and "Traceback" not in r.output, r.output
    assert r.code in (0, 1), r.output
    if r.code == 1 and not kit.gh.requests:
        (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
        assert "GITHUB_EVENT_PATH" in line or "runs on pull_request events" in line
    assert not kit.exchange_writes()
