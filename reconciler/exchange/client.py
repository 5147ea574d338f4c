"""HTTP client for the Toobit copy-trading leader API.

`Connection` is one exchange host: one httpx connection pool, one weight limiter,
one server-clock offset and one ban state, shared by every leader's `LeaderClient`
and safe to use from many threads.

Safety rules this module keeps:
- what is signed is byte-for-byte what is sent (the URL string is built here);
- a write that may have reached the exchange is never retried blindly: a 5XX,
  timeout or broken connection raises OutcomeUnknownError so the caller reads back;
- after a 429 nothing is sent until Retry-After has passed; after a 418 nothing
  is sent at all;
- no key, secret, signature or query string ever reaches a message or a log line.
"""
from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.errors import UsageError

from .errors import (
    ApiKeyFormatError,
    BannedError,
    ExchangeError,
    FirewallError,
    InsecureEndpointError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    error_for_code,
)
from .limiter import WeightLimiter
from .signing import encode_query, signed_query

DEFAULT_ENDPOINT = "https://api.toobit.com"
LEADER = "/api/v2/copy-trading/leader"
TIME_PATH = "/api/v1/time"

RETRY_AFTER_DEFAULT = 60.0  # a 429 without Retry-After
RETRY_AFTER_MAX = 300.0  # longer than this: give up rather than hang the run
BACKOFF_MAX = 8.0
SUCCESS = 200
TRANSIENT_CODES = (-1000, -1001)  # unknown / internal error: a read may be retried
TOO_MANY_REQUESTS = -1003
TIMESTAMP_OUTSIDE_WINDOW = -1021

log = logging.getLogger("reconciler.exchange")


# --- keeping secrets out of third-party logs --------------------------------------

_URL_QUERY = re.compile(r"(https?://[^\s?\"'<>]*)\?[^\s\"'<>]*")


def _strip_query(value: object) -> object:
    if isinstance(value, httpx.URL):
        return str(value.copy_with(query=None))
    if isinstance(value, str) and "?" in value:
        return _URL_QUERY.sub(r"\1", value)
    return value


class _RedactUrlQuery(logging.Filter):
    """httpx logs every request URL at INFO, query string (and signature) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_strip_query(a) for a in record.args)
        record.msg = _strip_query(record.msg)
        return True


def _install_log_redaction() -> None:
    """Filter the "httpx" logger; httpcore's DEBUG traces carry no URL or header values."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactUrlQuery) for f in logger.filters):
        logger.addFilter(_RedactUrlQuery())


_install_log_redaction()


# --- helpers ----------------------------------------------------------------------


@dataclass
class Page:
    """One page of a paged endpoint; `pages`/`total` arrive as strings or numbers."""

    pages: int
    total: int
    items: list[dict]

    @classmethod
    def from_data(cls, data: Any) -> Page:
        if data is None:
            return cls(0, 0, [])
        if not isinstance(data, Mapping):
            raise UnexpectedResponseError()
        items = data.get("list") or []
        try:
            return cls(int(data.get("pages") or 0), int(data.get("total") or 0), list(items))
        except (TypeError, ValueError):
            raise UnexpectedResponseError() from None


def check_endpoint(endpoint: str) -> str:
    """The base URL without a trailing slash; plain http only to loopback."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise UsageError("the endpoint must be a URL such as https://api.toobit.com")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InsecureEndpointError(meaning=f"refusing plain http:// to {parts.hostname}, which is not loopback")
    netloc = parts.netloc.rpartition("@")[2]  # never keep user:password@
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact JSON: Decimal as a JSON string (format 'f'), int as a number.

    A binary float is refused: it cannot say 0.1 exactly, and these are money settings.
    """

    def ready(value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"{path}: not a finite decimal")
            return format(value, "f")
        if isinstance(value, float):
            raise TypeError(f"{path}: binary float; pass a Decimal")
        if isinstance(value, Mapping):
            return {str(k): ready(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [ready(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if value is None or isinstance(value, (int, str)):
            return value
        raise TypeError(f"{path}: cannot send a {type(value).__name__}")

    return json.dumps(ready(body, ""), separators=(",", ":")).encode()


def _decode(content: bytes) -> Any:
    """JSON with exact decimals; None when the body is not JSON."""
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=Decimal)
    except ValueError:
        return None


def _as_code(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (seconds or HTTP date); None if absent/bad."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _check_credential(value: str) -> None:
    """A key or secret must be a visible-ASCII token; httpx would echo a bad header."""
    if not isinstance(value, str) or not value or not all("!" <= c <= "~" for c in value):
        raise ApiKeyFormatError(meaning="the API key or secret is empty or has characters that are not allowed")


class _Credentials:
    """A key pair that never shows itself in a repr."""

    __slots__ = ("api_key", "api_secret")

    def __init__(self, api_key: str, api_secret: str):
        _check_credential(api_key)
        _check_credential(api_secret)
        self.api_key = api_key
        self.api_secret = api_secret

    def __repr__(self) -> str:
        return "<credentials>"


@dataclass
class _Failure:
    """A request that got no HTTP response; `sent` False means it never left."""

    sent: bool
    kind: str
    retryable: bool = True


@dataclass
class _Call:
    """One logical call across its attempts: what it is and what happened so far."""

    method: str
    path: str
    write: bool
    signed: _Credentials | None
    secrets: list[str] = field(default_factory=list, repr=False)
    failures: int = 0
    rate_limited: int = 0
    resynced: bool = False
    clock_version: int = 0

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"  # never the query: it holds the signature


_AGAIN = object()  # "send the request again"


# --- the connection -----------------------------------------------------------------


class Connection:
    """One exchange host, shared by every leader: pool, limiter, clock offset, ban."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        weight_per_minute: int = 1200,
        timeout: float = 10.0,
        recv_window: int = 5000,
        max_retries: int = 3,
        backoff: float = 0.25,
        max_connections: int = 64,
        verbose: bool = False,
        window_seconds: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        ledger: bool | None = False,
    ):
        self.endpoint = check_endpoint(endpoint)
        self.recv_window = recv_window
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.verbose = verbose
        self.limiter = WeightLimiter(weight_per_minute, window_seconds=window_seconds)
        self.requests_sent = 0
        self.requests_by_path: Counter[str] = Counter()
        self._http = httpx.Client(
            verify=True,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,  # a redirect would carry a signed query to another URL
            transport=transport,
        )
        self._lock = threading.Lock()
        self._offset_ms = 0
        self._offset_version = 0
        self._sync_lock = threading.Lock()
        self._ban: BannedError | None = None
        self._closed = False
        self._wall_ms = lambda: time.time_ns() // 1_000_000  # replaceable in tests
        self._ban_inherited = False
        host = urlsplit(self.endpoint)
        if ledger is None:  # auto: a real exchange bans by IP; a loopback one is a sandbox or a test
            ledger = not _is_loopback(host.hostname or "")
        self._ledger_host = host.netloc if ledger else None
        if self._ledger_host:
            self._load_ledger()

    def __repr__(self) -> str:
        return f"Connection({self.endpoint!r})"

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load_ledger(self) -> None:
        """Start from what earlier runs spent on this host in the last window (see ledger.py)."""
        from . import ledger

        entry = ledger.load(self._ledger_host, self.limiter.window)
        wall, mono = time.time(), time.monotonic()
        self.limiter.preload([mono - (wall - t) for t in entry.get("ends", [])])
        if entry.get("paused_until"):
            self.limiter.pause(entry["paused_until"] - wall)
        if entry.get("banned_until"):
            self._ban_inherited = True
            self._ban = BannedError(
                endpoint=f"GET {TIME_PATH}",
                retry_after=round(entry["banned_until"] - wall),
                meaning="an earlier leaderctl run got this IP banned by the exchange for breaking its rate limit",
            )
            ban = self._ban
            self.limiter.halt(lambda: BannedError(endpoint=ban.endpoint, retry_after=ban.retry_after, meaning=ban.meaning))

    def _save_ledger(self) -> None:
        from . import ledger

        wall, mono = time.time(), time.monotonic()
        paused = self.limiter.paused_until
        ban_for = (self._ban.retry_after or 120) if self._ban is not None and not self._ban_inherited else None
        ledger.add(
            self._ledger_host,
            self.limiter.window,
            [wall - (mono - t) for t in self.limiter.spent()],
            paused_until=wall + (paused - mono) if paused > mono else None,
            banned_until=wall + ban_for if ban_for else None,
        )

    def close(self) -> None:
        """Close the pool; threads waiting for the limiter stop with an error."""
        if self._ledger_host and not self._closed:
            self._save_ledger()
        self._closed = True
        self.limiter.halt(lambda: RuntimeError("the exchange connection is closed"))
        self._http.close()

    # -- public --------------------------------------------------------------------

    def leader(self, api_key: str, api_secret: str) -> LeaderClient:
        return LeaderClient(self, _Credentials(api_key, api_secret))

    def server_time(self) -> int:
        """The exchange clock, epoch ms (GET /api/v1/time, unsigned)."""
        data = self.request("GET", TIME_PATH, signed=None)
        if isinstance(data, Mapping) and "serverTime" in data:
            return int(data["serverTime"])
        raise UnexpectedResponseError(endpoint=f"GET {TIME_PATH}")

    def sync_clock(self) -> int:
        """Set the offset so timestamps follow the exchange clock; returns it in ms."""
        before = self._wall_ms()
        server = self.server_time()
        after = self._wall_ms()
        with self._lock:
            self._offset_ms = server - (before + after) // 2
            self._offset_version += 1
            return self._offset_ms

    @property
    def clock_offset_ms(self) -> int:
        return self._offset_ms

    @property
    def banned(self) -> bool:
        return self._ban is not None

    # -- the request loop -------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        body: Mapping[str, Any] | None = None,
        signed: _Credentials | None,
    ) -> Any:
        """Send one call with limiting, signing and retries; returns `data`.

        `signed` None means a public call whose answer is not wrapped (server time).
        Each attempt is signed afresh (new timestamp) after the limiter admits it.
        """
        call = _Call(method, path, write=method != "GET", signed=signed)
        content = encode_body(body) if body is not None else None
        headers = {"X-BB-APIKEY": signed.api_key} if signed else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        call.secrets = self._secrets(signed, body)

        while True:
            self._check_usable(call.endpoint)
            with self.limiter.slot():  # raises at once after a ban or close
                call.clock_version = self._offset_version
                url = self._url(path, params, signed)
                started = time.monotonic()
                response, failure = self._send(method, url, headers, content, call.endpoint)
            elapsed_ms = (time.monotonic() - started) * 1000
            if failure is not None:
                self._after_failure(call, failure)  # raises, or backs off for a retry
                continue
            result = self._after_response(call, response, elapsed_ms)
            if result is not _AGAIN:
                return result

    def _after_failure(self, call: _Call, failure: _Failure) -> None:
        """No HTTP answer: retry if safe, else say what is known."""
        if call.write and failure.sent:
            raise OutcomeUnknownError(
                endpoint=call.endpoint, kind=failure.kind, meaning=f"{call.endpoint} was sent but got no answer"
            )
        call.failures += 1
        if not failure.retryable or call.failures > self.max_retries:
            raise TransportError(
                endpoint=call.endpoint,
                kind=failure.kind,
                meaning=f"could not reach the exchange for {call.endpoint} after {call.failures} attempts",
            )
        self._back_off(call, failure.kind)

    def _after_response(self, call: _Call, response: httpx.Response, elapsed_ms: float) -> Any:
        """`data` on success, _AGAIN to resend, else raises the typed error."""
        endpoint, status = call.endpoint, response.status_code
        payload = _decode(response.content)
        wrapped = isinstance(payload, Mapping) and "code" in payload
        code = _as_code(payload["code"]) if wrapped else None
        if self.verbose:
            log.info("%s -> HTTP %s code %s in %.0f ms", endpoint, status, code, elapsed_ms)

        if status == 418:
            raise self._banned(endpoint, _retry_after(response))
        if status == 429 or code == TOO_MANY_REQUESTS:
            self._rate_limited(call, code, status, _retry_after(response))
            return _AGAIN
        if status == 403:
            raise FirewallError(endpoint=endpoint)
        if status >= 500:
            if call.write:
                raise OutcomeUnknownError(
                    http_status=status, endpoint=endpoint, meaning=f"{endpoint} was answered by a server error"
                )
            call.failures += 1
            if call.failures > self.max_retries:
                raise ServerError(
                    http_status=status,
                    endpoint=endpoint,
                    meaning=f"{endpoint} kept failing with a server error after {call.failures} attempts",
                )
            self._back_off(call, f"HTTP {status}")
            return _AGAIN

        if call.signed is None and 200 <= status < 300 and isinstance(payload, Mapping) and not wrapped:
            return payload  # the unwrapped public answer of /api/v1/time
        if not wrapped or code is None:
            if call.write and 200 <= status < 300:
                raise OutcomeUnknownError(
                    http_status=status,
                    endpoint=endpoint,
                    meaning=f"{endpoint} got an answer leaderctl does not understand",
                )
            if status >= 400:
                raise ExchangeError(
                    http_status=status,
                    endpoint=endpoint,
                    meaning=f"the exchange refused {endpoint}",
                    advice="check the endpoint URL and the API key",
                )
            raise UnexpectedResponseError(http_status=status, endpoint=endpoint)

        if code == SUCCESS:
            return payload.get("data")
        if code == TIMESTAMP_OUTSIDE_WINDOW and not call.resynced:
            call.resynced = True  # -1021 means not processed: safe to resend once, writes too
            self._resync(call.clock_version)
            return _AGAIN
        if code in TRANSIENT_CODES and status < 400:  # a 4XX answer means rejected, not unknown
            if call.write:
                raise OutcomeUnknownError(
                    code,
                    http_status=status,
                    endpoint=endpoint,
                    meaning=f"{endpoint} was answered by an unknown or internal error",
                )
            call.failures += 1
            if call.failures <= self.max_retries:
                self._back_off(call, f"code {code}")
                return _AGAIN
        server_msg = self._redact(payload.get("msg"), call.secrets)
        raise error_for_code(code, http_status=status, endpoint=endpoint, server_msg=server_msg)

    def _rate_limited(self, call: _Call, code: int | None, status: int, retry_after: float | None) -> None:
        """429: nothing leaves this connection until Retry-After has passed, then resend."""
        wait = RETRY_AFTER_DEFAULT if retry_after is None else retry_after
        error = partial(RateLimitedError, code, http_status=status, endpoint=call.endpoint, retry_after=wait)
        if wait > RETRY_AFTER_MAX:
            self.limiter.halt(error)  # too long to wait inside a run: stop every thread, don't hang
            raise error()
        self.limiter.pause(wait)
        call.rate_limited += 1
        if call.rate_limited > self.max_retries:
            raise error()
        log.warning("%s: rate limited (HTTP %s); pausing every request for %.1f s", call.endpoint, status, wait)


    # -- request pieces --------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, object] | None, signed: _Credentials | None) -> str:
        if signed is None:
            query = encode_query(params or {})
        else:
            query = signed_query(
                params or {},
                secret=signed.api_secret,
                timestamp=self._wall_ms() + self._offset_ms,
                recv_window=self.recv_window,
            )
        return f"{self.endpoint}{path}?{query}" if query else f"{self.endpoint}{path}"

    def _send(
        self, method: str, url: str, headers: dict, content: bytes | None, endpoint: str
    ) -> tuple[httpx.Response | None, _Failure | None]:
        """One attempt. httpx exceptions stop here: they reference the signed URL."""
        with self._lock:
            self.requests_sent += 1
            self.requests_by_path[endpoint] += 1
        try:
            return self._http.request(method, url, headers=headers, content=content), None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError) as exc:
            failure = _Failure(sent=False, kind=type(exc).__name__)
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            failure = _Failure(sent=False, kind=type(exc).__name__, retryable=False)
        except httpx.RequestError as exc:  # read/write timeout, dropped connection, bad encoding
            failure = _Failure(sent=True, kind=type(exc).__name__)
        except RuntimeError:  # the pool was closed under us
            if self._closed:
                failure = _Failure(sent=False, kind="connection closed", retryable=False)
            else:
                raise
        return None, failure

    def _check_usable(self, endpoint: str) -> None:
        if self._closed:
            raise RuntimeError("the exchange connection is closed")
        if self._ban is not None:
            raise BannedError(endpoint=endpoint, retry_after=self._ban.retry_after, meaning=self._ban.meaning)

    def _banned(self, endpoint: str, retry_after: float | None) -> BannedError:
        """418: remember the ban and stop every thread, waiting or not."""
        with self._lock:
            if self._ban is None:
                self._ban = BannedError(endpoint=endpoint, retry_after=retry_after)
        ban = self._ban
        self.limiter.halt(lambda: BannedError(endpoint=ban.endpoint, retry_after=ban.retry_after))
        log.error("%s: HTTP 418, this IP is banned by the exchange; no further requests will be sent", endpoint)
        return BannedError(endpoint=endpoint, retry_after=retry_after)

    def _resync(self, version: int) -> None:
        """Re-read the server clock once, unless another thread already did."""
        with self._sync_lock:
            if self._offset_version == version:
                offset = self.sync_clock()
                log.warning("timestamp outside recvWindow; clock offset to the exchange is now %d ms", offset)

    def _back_off(self, call: _Call, why: str) -> None:
        """Exponential backoff with jitter before retry number `call.failures`."""
        if self.verbose:
            log.info("%s: %s, retry %d of %d", call.endpoint, why, call.failures, self.max_retries)
        delay = min(BACKOFF_MAX, self.backoff * 2 ** (call.failures - 1))
        time.sleep(delay * random.uniform(0.5, 1.0))

    @staticmethod
    def _secrets(signed: _Credentials | None, body: Mapping[str, Any] | None) -> list[str]:
        secrets = [signed.api_key, signed.api_secret] if signed else []
        code = body.get("inviteCode") if body else None
        if isinstance(code, str) and code:
            secrets.append(code)
        return secrets

    @staticmethod
    def _redact(text: Any, secrets: list[str]) -> str | None:
        """The exchange's msg, minus anything secret it might echo."""
        if text is None:
            return None
        text = str(text)
        for secret in secrets:
            text = text.replace(secret, "(sensitive)")
        return re.sub(r"\b[0-9a-f]{64}\b", "(sensitive)", text)  # a signature


# --- one leader ----------------------------------------------------------------------


class LeaderClient:
    """The leader endpoints, signed with one leader's key pair."""

    def __init__(self, connection: Connection, credentials: _Credentials):
        self._conn = connection
        self._creds = credentials

    def __repr__(self) -> str:
        return f"LeaderClient({self._conn.endpoint!r})"

    def _get(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        return self._conn.request("GET", LEADER + path, params, signed=self._creds)

    def _list(self, path: str, params: Mapping[str, object] | None = None) -> list[dict]:
        data = self._get(path, params)
        if data is None:
            return []
        if not isinstance(data, list):
            raise UnexpectedResponseError(endpoint=f"GET {LEADER}{path}")
        return data

    def get_config(self) -> dict:
        data = self._get("/config")
        if not isinstance(data, dict):
            raise UnexpectedResponseError(endpoint=f"GET {LEADER}/config")
        return data

    def put_config(self, body: dict) -> None:
        self._conn.request("PUT", LEADER + "/config", body=body, signed=self._creds)

    def get_symbols(self) -> list[dict]:
        return self._list("/symbols")

    def get_current_orders(self) -> list[dict]:
        return self._list("/orders/current")

    def get_order_history(self, page: int = 1, size: int = 10) -> Page:
        return Page.from_data(self._get("/orders/history", {"page": page, "size": size}))

    def iter_order_history(self, size: int = 100) -> Iterator[dict]:
        return self._iter(self.get_order_history, size)

    def get_trade_data(self, period: int = 7) -> list[dict]:
        return self._list("/trade-data", {"type": period})

    def get_profit_sharing_history(self) -> list[dict]:
        return self._list("/profit-sharings/history")

    def get_followers(self, page: int = 1, size: int = 10) -> Page:
        return Page.from_data(self._get("/followers", {"page": page, "size": size}))

    def iter_followers(self, size: int = 100) -> Iterator[dict]:
        return self._iter(self.get_followers, size)

    def remove_follower(self, user_id: int) -> None:
        if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 1:
            raise ValueError("a follower user ID is an integer >= 1")
        self._conn.request("DELETE", f"{LEADER}/followers/{user_id}", signed=self._creds)

    @staticmethod
    def _iter(fetch, size: int) -> Iterator[dict]:
        """Every item of every page; stops at `pages` or at the first empty page."""
        page = 1
        while True:
            result = fetch(page, size)
            yield from result.items
            if page >= result.pages or not result.items:
                return
            page += 1
