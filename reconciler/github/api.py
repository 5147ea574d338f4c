"""A small client of GitHub's REST API (never GraphQL), standard library only.

Standard library only so that the action can still mark a plan comment stale
when installing leaderctl itself failed (see `stale`). Rules:

- https only; plain http only to a loopback host (a test's fake API);
- one deadline per request as a whole (`timeout`: connecting, sending, every
  byte of the answer, and the one retry after a 5XX or a network error): a
  body trickled a byte at a time ends there too; a timeout is not retried;
- a list (every page) is bounded: MAX_LIST_ITEMS items, MAX_LIST_BYTES bytes,
  MAX_PAGES pages; one answer is at most MAX_BODY bytes;
- an answer that is not what GitHub sends (not JSON, nested too deeply, a page
  that is not a list, an item of the wrong shape) is one GitHubError naming the
  request and the place in the answer (`MalformedAnswer`), never a traceback;
- 401/403/404 become one line saying what it means and what to do;
- the token is sent in the Authorization header and nowhere else: never in a
  URL, a message or an exception; redirects to another origin are not followed
  (they would carry the header along).
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
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
MAX_BODY = 16 * 1024 * 1024  # one answer, in bytes
MAX_LIST_BYTES = 32 * 1024 * 1024  # every page of one list together, in bytes
MAX_LIST_ITEMS = 5_000  # items of one list (a pull request's comments, the open drift issues)
MAX_PAGES = 100
PER_PAGE = 100
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class GitHubError(LeaderctlError):
    """GitHub's API refused or failed a request; the message says what to do."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class MalformedAnswer(GitHubError):
    """GitHub answered something it never sends (wrong JSON, wrong shape): one located line."""


def malformed(what: str, where: str, detail: str) -> MalformedAnswer:
    return MalformedAnswer(
        f"GitHub's answer while {what} is malformed ({_clean(where, '', 200)}): {_clean(detail, '', 200)}: "
        "check GITHUB_API_URL (is it GitHub's REST API?) and run the job again"
    )


@dataclass
class Response:
    status: int
    data: object
    headers: dict = field(default_factory=dict)
    where: str = ""  # "GET /repos/o/r/issues/7/comments?page=2": where a malformed answer came from
    size: int = 0  # bytes of the body


def kind(value) -> str:
    """What a JSON value is, in words (for a malformed-answer message)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


_TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object", list: "a list", bool: "a boolean"}


def item(data, at: str, *, what: str, where: str) -> dict:
    """`data` checked to be a JSON object (at `at` of the answer)."""
    if not isinstance(data, dict):
        raise malformed(what, where, f"{at or 'the answer'} is {kind(data)}, not an object")
    return data


def value(obj: dict, key: str, types: tuple, at: str, *, what: str, where: str, required: bool = True):
    """obj[key], checked to be one of `types` (bool is never an int); None when absent and not required."""
    v = obj.get(key)
    if v is None and not required:
        return None
    ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
    if not ok:
        names = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        raise malformed(what, where, f"{f'{at}.' if at else ''}{key} is {kind(v) if key in obj else 'missing'}, not {names}")
    return v


class _Deadline:
    """One request's deadline as a whole. Socket timeouts bound each read, not their sum: at
    the deadline every socket the request opened is shut down, so a trickled body ends too."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._socks: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        return self.at - time.monotonic()

    def connect(self, address, timeout=None, source_address=None):
        """http.client's `_create_connection`: the socket is registered, its timeout what is left."""
        if self.left() <= 0:
            raise TimeoutError("the deadline passed")
        sock = socket.create_connection(address, max(self.left(), 0.001), source_address)
        with self._lock:
            self._socks.append(sock)
            late = self.expired
        if late:
            sock.close()
            raise TimeoutError("the deadline passed")
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            socks = list(self._socks)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _connection(cls, deadline: _Deadline):
    def make(host, **kwargs):
        conn = cls(host, **kwargs)
        conn._create_connection = deadline.connect
        return conn

    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._deadline = deadline

    def http_open(self, req):
        return self.do_open(_connection(http.client.HTTPConnection, self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, context):
        super().__init__(context=context)
        self._deadline = deadline

    def https_open(self, req):
        return self.do_open(_connection(http.client.HTTPSConnection, self._deadline), req, context=self._context)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the API's origin: the token must not travel elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            elsewhere = _origin(newurl) != _origin(req.full_url)
        except ValueError:  # a Location that is not a URL (a bad port)
            return None
        if elsewhere:
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
        self._context = ssl.create_default_context()

    def _opener(self, deadline: _Deadline):
        handlers: list = [_SameOriginRedirects(), _HTTPHandler(deadline), _HTTPSHandler(deadline, self._context)]
        if urllib.parse.urlsplit(self.base_url).hostname in LOOPBACK:
            handlers.append(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy
        return urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:  # never the token
        return f"GitHubApi({self.base_url!r})"

    # -- requests

    def get(self, path: str, *, params: dict | None = None, what: str, needs: str | None = None, accept: str | None = None) -> Response:
        return self.request("GET", path, params=params, what=what, needs=needs, accept=accept)

    def post(self, path: str, body: dict, *, what: str, needs: str | None = None) -> Response:
        return self.request("POST", path, body=body, what=what, needs=needs)

    def patch(self, path: str, body: dict, *, what: str, needs: str | None = None) -> Response:
        return self.request("PATCH", path, body=body, what=what, needs=needs)

    def paginate(self, path: str, *, params: dict | None = None, what: str, needs: str | None = None, max_pages: int | None = None) -> list:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` (within this API only).

        Bounded: at most MAX_LIST_ITEMS items and MAX_LIST_BYTES bytes over every page, MAX_PAGES
        pages, PER_PAGE items a page (GitHub never sends more than asked for); each item an object."""
        items: list = []
        size = 0
        pages = max_pages or MAX_PAGES
        url = self._url(path, {"per_page": PER_PAGE, **(params or {})})
        for _ in range(pages):
            r = self._send("GET", url, None, what=what, needs=needs)
            if not isinstance(r.data, list):
                raise malformed(what, r.where, f"the answer is {kind(r.data)}, not a list")
            if len(r.data) > PER_PAGE:
                raise malformed(what, r.where, f"a page of {len(r.data)} items (at most {PER_PAGE} were asked for)")
            for i, entry in enumerate(r.data):
                item(entry, f"[{i}]", what=what, where=r.where)
            size += r.size
            items += r.data
            if len(items) > MAX_LIST_ITEMS or size > MAX_LIST_BYTES:
                raise GitHubError(
                    f"GitHub's list while {what} is longer than leaderctl reads (more than {MAX_LIST_ITEMS} items "
                    f"or {MAX_LIST_BYTES // (1024 * 1024)} MiB): stopped"
                )
            url = _next_link(r.headers.get("link", ""))
            if not url:
                return items
            try:
                elsewhere = _origin(url) != _origin(self.base_url)
            except ValueError:
                elsewhere = True
            if elsewhere:
                raise GitHubError(f"GitHub's next page of {what} points outside {self.base_url}: not followed")
        raise GitHubError(f"more than {pages} pages while {what}: stopped")

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
        headers = self._headers(accept, data is not None)
        split = urllib.parse.urlsplit(url)
        where = f"{method} {split.path}" + (f"?{_page(split.query)}" if _page(split.query) else "")
        deadline = _Deadline(self.timeout)  # one for the request as a whole, its retry included
        try:
            for attempt in (1, 2):
                try:
                    return self._exchange(urllib.request.Request(url, data=data, headers=headers, method=method),
                                          deadline, what, where)
                except urllib.error.HTTPError as e:
                    status, text = e.code, _read(e)
                    resp_headers = {k.lower(): v for k, v in (e.headers or {}).items()}
                    e.close()
                    if deadline.expired:
                        raise self._timed_out(what) from None
                    if status >= 500 and attempt == 1 and self._wait_to_retry(deadline):
                        continue
                    raise self._error(status, text, resp_headers, what, needs) from None
                except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
                    reason = getattr(e, "reason", None) or e
                    if deadline.expired or isinstance(reason, TimeoutError):
                        raise self._timed_out(what) from None
                    verify_failed = isinstance(reason, ssl.SSLCertVerificationError)  # never retried
                    if not verify_failed and attempt == 1 and self._wait_to_retry(deadline):
                        continue
                    raise self._unreachable(reason, what) from None
        finally:
            deadline.cancel()
        raise AssertionError("unreachable")

    def _headers(self, accept: str | None, has_body: bool) -> dict:
        headers = {
            "Accept": accept or "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"leaderctl/{__version__}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _exchange(self, req: urllib.request.Request, deadline: _Deadline, what: str, where: str) -> Response:
        """One attempt: the answer, read under the size limit before the deadline."""
        with self._opener(deadline).open(req, timeout=max(deadline.left(), 0.001)) as resp:
            raw = resp.read(MAX_BODY + 1)
            status, resp_headers = resp.status, {k.lower(): v for k, v in resp.headers.items()}
        if deadline.expired:
            raise TimeoutError("the deadline passed")
        return Response(status, _decode(raw, what, where), resp_headers, where, len(raw))

    def _wait_to_retry(self, deadline: _Deadline) -> bool:
        """Wait before the one retry, if the deadline leaves time for it."""
        if deadline.left() <= self.retry_delay:
            return False
        time.sleep(self.retry_delay)
        return True

    def _unreachable(self, reason: object, what: str) -> GitHubError:
        if isinstance(reason, ssl.SSLCertVerificationError):
            return GitHubError(f"TLS verification failed for {self.base_url} while {what}: {_clean(str(reason), self._token)}")
        text = str(reason) or type(reason).__name__
        return GitHubError(f"cannot reach GitHub at {self.base_url} while {what}: {_clean(text, self._token)}")

    def _timed_out(self, what: str) -> GitHubError:
        return GitHubError(
            f"GitHub did not answer within {self.timeout:g} s while {what} (the deadline of the request as a whole): "
            "run the job again, or raise --timeout / LEADERCTL_TIMEOUT if GitHub is slow"
        )

    def _error(self, status: int, text: str, headers: dict, what: str, needs: str | None) -> GitHubError:
        message = ""
        try:
            message = str(json.loads(text).get("message") or "")
        except (ValueError, AttributeError, RecursionError):
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


def _decode(raw: bytes, what: str, where: str = ""):
    if len(raw) > MAX_BODY:
        raise GitHubError(f"GitHub's answer while {what} is larger than {MAX_BODY // (1024 * 1024)} MiB: refused")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        raise malformed(what, where, "the JSON is nested too deeply") from None
    except ValueError:
        raise malformed(what, where, "not JSON") from None


def _page(query: str) -> str:
    """`page=N` of a query string, if any: enough to tell the pages of a list apart."""
    for part in query.split("&"):
        if part.startswith("page="):
            return part[:20]
    return ""


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_link(header: str) -> str | None:
    m = _LINK.search(header or "")
    return m.group(1) if m else None
