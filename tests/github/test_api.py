"""The REST client against the fake API: retries, errors a person can act on, no token anywhere."""
from __future__ import annotations

import pytest
from fake_github import REPO, TOKEN

from reconciler.github.api import GitHubApi, GitHubError, check_url


def _api(gh, token=TOKEN):
    return GitHubApi(gh.url, token, retry_delay=0)


def test_pagination_follows_the_link_header(gh):
    for i in range(250):
        gh.add_comment(5, f"comment {i}")
    items = _api(gh).paginate(f"/repos/{REPO}/issues/5/comments", what="listing", needs="pull-requests: read")
    assert [c["body"] for c in items] == [f"comment {i}" for i in range(250)]
    assert [r.query.get("page", "1") for r in gh.requests] == ["1", "2", "3"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in gh.requests)
    assert all(TOKEN not in r.path and TOKEN not in str(r.query) for r in gh.requests)


def test_a_5xx_is_retried_once(gh):
    gh.fail("GET", "/comments$", 502)
    assert _api(gh).paginate(f"/repos/{REPO}/issues/5/comments", what="listing") == []
    assert len(gh.requests) == 2

    gh.requests.clear()
    gh.fail("POST", "/comments$", 503, times=2)
    with pytest.raises(GitHubError) as e:
        _api(gh).post(f"/repos/{REPO}/issues/5/comments", {"body": "x"}, what="commenting the plan")
    assert len(gh.requests) == 2
    assert str(e.value) == "GitHub answered 503 twice while commenting the plan: GitHub may be having trouble; run the job again"


@pytest.mark.parametrize(
    "status, expected",
    [
        (401, "GitHub rejected the token (401 Unauthorized) while commenting the plan: pass a valid token"),
        (403, "GitHub refused commenting the plan (403 Forbidden): the token lacks `pull-requests: write` permission: "
              "add `permissions: pull-requests: write` to the job"),
        (404, "GitHub answered 404 Not Found while commenting the plan: it does not exist or the token cannot see it"),
    ],
)
def test_401_403_404_say_what_to_do_in_one_line(gh, status, expected):
    gh.fail("POST", "/comments$", status, body={"message": f"failed for {TOKEN}"})
    with pytest.raises(GitHubError) as e:
        _api(gh).post(f"/repos/{REPO}/issues/5/comments", {"body": "x"}, what="commenting the plan", needs="pull-requests: write")
    assert str(e.value).startswith(expected)
    assert "\n" not in str(e.value) and TOKEN not in str(e.value) and TOKEN not in repr(e.value)
    assert len(gh.requests) == 1  # a 4XX is not retried
    assert e.value.status == status


def test_a_wrong_token_is_401(gh):
    with pytest.raises(GitHubError) as e:
        _api(gh, token="ghs_wrong").get(f"/repos/{REPO}/commits/abc/pulls", what="finding the pull request")
    assert "401" in str(e.value) and "ghs_wrong" not in str(e.value)


def test_rate_limit_is_not_a_permission_problem(gh):
    gh.fail("GET", "/pulls$", 403, body={"message": "API rate limit exceeded"}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"})
    with pytest.raises(GitHubError) as e:
        _api(gh).get(f"/repos/{REPO}/commits/abc/pulls", what="finding the pull request", needs="pull-requests: read")
    assert "rate limit" in str(e.value) and "permission" not in str(e.value)


def test_an_unreachable_api_is_retried_once_then_one_line(gh):
    url = gh.url
    gh.server.shutdown()
    gh.server.server_close()
    with pytest.raises(GitHubError) as e:
        GitHubApi(url, TOKEN, retry_delay=0).get("/x", what="listing")
    assert str(e.value).startswith(f"cannot reach GitHub at {url} while listing")


def test_only_https_or_loopback_http():
    assert check_url("https://api.github.com/") == "https://api.github.com"
    assert check_url("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/v3"
    assert check_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    for bad in ("http://api.github.com", "ftp://x", "api.github.com", "http://10.0.0.1"):
        with pytest.raises(GitHubError, match="https://"):
            check_url(bad)


def test_a_redirect_to_another_origin_is_not_followed(gh):
    gh.fail("GET", "/pulls$", 302, headers={"Location": "http://127.0.0.2:9/steal"})
    with pytest.raises(GitHubError, match="302"):
        _api(gh).get(f"/repos/{REPO}/commits/abc/pulls", what="finding the pull request")
    assert len(gh.requests) == 1


def test_the_token_is_not_in_repr():
    api = GitHubApi("https://api.github.com", TOKEN)
    assert TOKEN not in repr(api) and TOKEN not in str(vars(api).get("base_url"))
