"""A small client of GitHub's REST API (never GraphQL), standard library only.

Standard library only so that the action can still mark a plan comment stale
when installing leaderctl itself failed (see `stale`). Rules:

- https only; plain http only to a loopback host (a test's fake API);
- one retry after a 5XX or a network error, then a clear error;
- 401/403/404 become one line saying what it means and what to do;
- the token is sent in the Authorization header and nowhere else: never in a
  URL, a message or an exception; redirects to another origin are not followed
  (they would carry the header along).
"""
from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from reconciler import __version__
from reconciler.errors import LeaderctlError

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT = 30.0
RETRY_DELAY = 1.0
MAX_BODY = 16 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class GitHubError(LeaderctlError):
    """GitHub's API refused or failed a request; the message says what to do."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    status: int
    data: object
    headers: dict = field(default_factory=dict)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the API's origin: the token must not travel elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) != _origin(req.full_url):
            return None  # urllib then raises HTTPError with the 3XX
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple:
    p = urllib.parse.urlsplit(url)
    return (p.scheme, p.hostname, p.port)


def check_url(base_url: str) -> str:
    p = urllib.parse.urlsplit(base_url)
    if p.scheme == "https" and p.hostname:
        return base_url.rstrip("/")
    if p.scheme == "http" and p.hostname in LOOPBACK:
        return base_url.rstrip("/")
    raise GitHubError(f"GITHUB_API_URL must be an https:// URL (plain http only to a loopback host), got {_clean(base_url, '')!r}")


def _clean(text: str, token: str, limit: int = 300) -> str:
    """Text from GitHub made printable: control characters escaped, the token masked, bounded."""
    if token:
        text = text.replace(token, "***")
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[:limit] + "…"


class GitHubApi:
    """Requests against one API root (`GITHUB_API_URL`) with one token."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = TIMEOUT, retry_delay: float | None = None):
        self.base_url = check_url(base_url or DEFAULT_API_URL)
        self._token = token or ""
        self.timeout = timeout
        self.retry_delay = RETRY_DELAY if retry_delay is None else retry_delay
        handlers: list = [_SameOriginRedirects()]
        if urllib.parse.urlsplit(self.base_url).hostname in LOOPBACK:
            handlers.append(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy
        handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context()))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:  # never the token
        return f"GitHubApi({self.base_url!r})"

    # -- requests

    def get(self, path: str, *, params: dict | None = None, what: str, needs: str | None = None, accept: str | None = None) -> Response:
        return self.request("GET", path, params=params, what=what, needs=needs, accept=accept)

    def post(self, path: str, body: dict, *, what: str, needs: str | None = None) -> Response:
        return self.request("POST", path, body=body, what=what, needs=needs)

    def patch(self, path: str, body: dict, *, what: str, needs: str | None = None) -> Response:
        return self.request("PATCH", path, body=body, what=what, needs=needs)

    def paginate(self, path: str, *, params: dict | None = None, what: str, needs: str | None = None, max_pages: int = 100) -> list:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` (within this API only)."""
        items: list = []
        url = self._url(path, {"per_page": 100, **(params or {})})
        for _ in range(max_pages):
            r = self._send("GET", url, None, what=what, needs=needs)
            if not isinstance(r.data, list):
                raise GitHubError(f"GitHub answered {what} with something that is not a list")
            items += r.data
            url = _next_link(r.headers.get("link", ""))
            if not url:
                return items
            if _origin(url) != _origin(self.base_url):
                raise GitHubError(f"GitHub's next page of {what} points outside {self.base_url}: not followed")
        raise GitHubError(f"more than {max_pages} pages while {what}: stopped")

    def request(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None, what: str,
                needs: str | None = None, accept: str | None = None) -> Response:
        return self._send(method, self._url(path, params), body, what=what, needs=needs, accept=accept)

    def _url(self, path: str, params: dict | None) -> str:
        url = self.base_url + "/" + path.lstrip("/")
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return url

    def _send(self, method: str, url: str, body: dict | None, *, what: str, needs: str | None, accept: str | None = None) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Accept": accept or "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"leaderctl/{__version__}",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in (1, 2):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with self._opener.open(req, timeout=self.timeout) as resp:
                    return Response(resp.status, _decode(resp.read(MAX_BODY + 1), what), {k.lower(): v for k, v in resp.headers.items()})
            except urllib.error.HTTPError as e:
                status, text = e.code, _read(e)
                resp_headers = {k.lower(): v for k, v in (e.headers or {}).items()}
                e.close()
                if status >= 500 and attempt == 1:
                    time.sleep(self.retry_delay)
                    continue
                raise self._error(status, text, resp_headers, what, needs) from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", None) or e
                if isinstance(reason, ssl.SSLCertVerificationError):
                    raise GitHubError(f"TLS verification failed for {self.base_url} while {what}: {_clean(str(reason), self._token)}") from None
                if attempt == 1:
                    time.sleep(self.retry_delay)
                    continue
                raise GitHubError(f"cannot reach GitHub at {self.base_url} while {what}: {_clean(str(reason), self._token)}") from None
        raise AssertionError("unreachable")

    def _error(self, status: int, text: str, headers: dict, what: str, needs: str | None) -> GitHubError:
        message = ""
        try:
            message = str(json.loads(text).get("message") or "")
        except (ValueError, AttributeError):
            pass
        message = _clean(message, self._token)
        if status == 401:
            return GitHubError(
                f"GitHub rejected the token (401 Unauthorized) while {what}: pass a valid token "
                "(the action's `github-token` input, default the job's GITHUB_TOKEN; a personal access token may have expired)",
                status,
            )
        if status in (403, 429) and (headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()):
            reset = headers.get("x-ratelimit-reset", "")
            when = ""
            if reset.isdigit():
                when = f" (it resets at {time.strftime('%H:%M:%S UTC', time.gmtime(int(reset)))})"
            return GitHubError(f"GitHub's API rate limit was reached while {what} ({status}){when}: run the job again later", status)
        if status == 403:
            perm = f"the token lacks `{needs}` permission: add `permissions: {needs}` to the job" if needs else "the token is not allowed to do this"
            return GitHubError(
                f"GitHub refused {what} (403 Forbidden): {perm} "
                "(a pull request from a fork or from Dependabot gets a read-only token)",
                status,
            )
        if status == 404:
            return GitHubError(
                f"GitHub answered 404 Not Found while {what}: it does not exist or the token cannot see it: "
                "check GITHUB_REPOSITORY and GITHUB_API_URL, and that the token has access to the repository",
                status,
            )
        if status >= 500:
            return GitHubError(f"GitHub answered {status} twice while {what}: GitHub may be having trouble; run the job again", status)
        detail = f": {message}" if message else ""
        return GitHubError(f"GitHub answered {status} while {what}{detail}", status)


def _read(e: urllib.error.HTTPError) -> str:
    try:
        return e.read(MAX_BODY).decode("utf-8", "replace")
    except (OSError, AttributeError):
        return ""


def _decode(raw: bytes, what: str):
    if len(raw) > MAX_BODY:
        raise GitHubError(f"GitHub's answer while {what} is larger than {MAX_BODY // (1024 * 1024)} MiB: refused")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_link(header: str) -> str | None:
    m = _LINK.search(header or "")
    return m.group(1) if m else None
