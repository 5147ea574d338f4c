"""HTTP client for the Toobit copy-trading leader API.

`Connection` is one exchange host: one httpx connection pool, one weight limiter,
one server-clock offset and one ban state, shared by every leader's `LeaderClient`
and safe to use from many threads. What each answer means is decided by the pure
`classify.classify`; this module sends, follows the decision, and logs.

Safety rules this module keeps:
- what is signed is byte-for-byte what is sent (the URL string is built here);
- a write that may have reached the exchange is never retried blindly: a 5XX,
  -1006/-1007, a timeout or a broken connection raises OutcomeUnknownError so the
  caller reads back;
- each request as a whole ends by its deadline (settings.timeout), however slowly
  the answer trickles in; bodies are read raw and decompressed under a size limit;
- after a 429 nothing is sent until Retry-After has passed; after a ban nothing is
  sent at all; after interrupt() no new request starts (abort() also cancels reads);
- no key, secret, signature or query string ever reaches a message or a log line.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler import redact

from .body import ACCEPT_ENCODING, BadEncoding, BodyTooLarge, read_body, read_stream
from .classify import Call, Kind, NoAnswer, Why, classify, integer, response_code
from .endpoint import DEFAULT_ENDPOINT, check_endpoint, is_loopback
from .errors import (
    API_KEY_FORMAT,
    BannedError,
    ConnectionClosedError,
    ExchangeError,
    InterruptedRequest,
    UnexpectedResponseError,
    WaitedBeforeSending,
    error_for_code,
)
from .limiter import WeightLimiter
from .proxy import proxy_for
from .requestlog import log_request
from .settings import ConnectionSettings
from .signing import Variant, encode_query, signed_query
from .transport import TLSVerifyFailed, Transport, request_scope

__all__ = ["DEFAULT_ENDPOINT", "Connection", "LeaderClient", "Page", "encode_body"]

LEADER = "/api/v2/copy-trading/leader"
TIME_PATH = "/api/v1/time"
# a loopback sandbox names its instance (its rate limiter's lifetime) in every answer: ledger.py
SANDBOX_INSTANCE_HEADER = "X-Leaderctl-Sandbox"
_INSTANCE = re.compile(r"[0-9a-f]{8,64}")

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
    def from_data(cls, data: Any, endpoint: str | None = None) -> Page:
        if data is None:
            return cls(0, 0, [])
        if not isinstance(data, Mapping):
            raise UnexpectedResponseError(endpoint=endpoint)
        items = data.get("list") or []
        pages, total = _count(data.get("pages")), _count(data.get("total"))
        if pages is None or total is None or not _all_objects(items):
            raise UnexpectedResponseError(endpoint=endpoint)
        return cls(pages, total, list(items))


def _count(raw: Any) -> int | None:
    """A page count: a non-negative integer, as a number or a string; missing is 0."""
    if raw is None or raw == "":
        return 0
    value = integer(raw)
    return value if value is not None and value >= 0 else None


def _all_objects(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) for i in items)


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
    """JSON with exact decimals; None when the body is not JSON (or nested too deep to read)."""
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError):
        return None


def _check_credential(value: str) -> None:
    """A key or secret must be a visible-ASCII token; httpx would echo a bad header."""
    if not isinstance(value, str) or not value or not all("!" <= c <= "~" for c in value):
        raise error_for_code(API_KEY_FORMAT, meaning="the API key or secret is empty or has characters that are not allowed")


class _Credentials:
    """A key pair that never shows itself in a repr."""

    __slots__ = ("api_key", "api_secret", "leader")

    def __init__(self, api_key: str, api_secret: str, leader: str | None = None):
        _check_credential(api_key)
        _check_credential(api_secret)
        self.api_key = api_key
        self.api_secret = api_secret
        self.leader = leader  # the config's name for whose key this is: named in -v lines

    def __repr__(self) -> str:
        return "<credentials>"


@dataclass
class _Tries:
    """One call's attempts so far."""

    attempts: int = 0
    resends: int = 0  # RETRY decisions followed
    waits: int = 0  # 429 pauses followed
    resynced: bool = False
    clock_version: int = 0
    resigned: bool = False  # resent once with the other signing variant after -1022


@dataclass(frozen=True)
class _Reply:
    """One attempt's answer: status None means no answer, and `payload` is a NoAnswer."""

    status: int | None
    payload: Any
    headers: Mapping[str, str]
    elapsed_ms: float


# (exception, why, may it have reached the exchange?) - first match wins
_FAILURES: tuple[tuple[type[BaseException], Why, bool], ...] = (
    (TLSVerifyFailed, Why.TLS, False),
    (BodyTooLarge, Why.TOO_LARGE, True),
    (BadEncoding, Why.ENCODING, True),
    (httpx.ConnectError, Why.NETWORK, False),
    (httpx.ConnectTimeout, Why.NETWORK, False),
    (httpx.PoolTimeout, Why.NETWORK, False),
    (httpx.ProxyError, Why.NETWORK, False),
    (httpx.UnsupportedProtocol, Why.UNUSABLE, False),
    (httpx.LocalProtocolError, Why.UNUSABLE, False),
    (httpx.InvalidURL, Why.UNUSABLE, False),
    (httpx.TimeoutException, Why.TIMEOUT, True),  # read/write timeout: the request may have arrived
    (httpx.RequestError, Why.NETWORK, True),  # dropped connection, protocol error mid-answer
)


# --- the request path ---------------------------------------------------------------


class _CoreTarget:
    """The endpoint taken apart once, for requests handed to the Transport's httpcore pool
    ready-made: the URL string that was signed is cut after the endpoint, and the rest (the
    path and the signed query) is the request target, sent byte for byte; httpx never
    parses it again. Same pool, backend (deadline, cancel), TLS context and proxy as
    httpx.Client over that Transport; no redirects are followed (none ever were) and no
    cookies are kept."""

    __slots__ = ("_prefix", "_scheme", "_host", "_port", "_fixed", "_extensions", "_transport", "_hostname")

    def __init__(self, endpoint: str, transport: Transport, scheme: bytes, host: bytes, port: int | None,
                 netloc: bytes, timeout: float):
        self._prefix = len(endpoint) - len(urlsplit(endpoint).path)  # url[prefix:] is path?query
        self._scheme, self._host, self._port = scheme, host, port
        self._hostname = host.decode("ascii")
        self._fixed = [(b"Host", netloc), (b"Accept", b"*/*"), (b"Accept-Encoding", ACCEPT_ENCODING.encode()),
                       (b"Connection", b"keep-alive"), (b"User-Agent", _USER_AGENT)]
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        self._transport = transport

    @classmethod
    def of(cls, endpoint: str, transport: Transport, timeout: float) -> _CoreTarget | None:
        """None when the endpoint is not plain ASCII (an IDN host): httpx then builds the requests."""
        if not endpoint.isascii():
            return None
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        default = {"http": 80, "https": 443}[parts.scheme]
        port = parts.port if parts.port not in (None, default) else None
        return cls(endpoint, transport, parts.scheme.encode(), host.encode(), port, parts.netloc.encode(), timeout)

    def target(self, url: str) -> bytes:
        return url[self._prefix:].encode("ascii")

    def open(self, method: str, url: str, headers: Mapping[str, str], content: bytes | None):
        import httpcore

        lines = self._fixed + [(k.encode(), v.encode()) for k, v in headers.items() if k != "Accept-Encoding"]
        if content is not None:
            lines.append((b"Content-Length", str(len(content)).encode()))
        core_url = httpcore.URL(scheme=self._scheme, host=self._host, port=self._port, target=self.target(url))
        return self._transport.open(method.encode(), core_url, lines, content, self._extensions, self._hostname)


_USER_AGENT = f"python-httpx/{httpx.__version__}".encode()  # what httpx.Client sent: the wire is unchanged


# --- the connection -----------------------------------------------------------------


class Connection:
    """One exchange host, shared by every leader: pool, limiter, clock offset, ban, interrupts.

    `Connection(endpoint, settings=ConnectionSettings(...), transport=None)`; keyword
    overrides of single settings are accepted too: `Connection(url, timeout=5)`.
    `transport` replaces the network (tests); the deadline is then checked between
    body chunks only.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        settings: ConnectionSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        **overrides: Any,
    ):
        settings = settings or ConnectionSettings()
        self.settings = dataclasses.replace(settings, **overrides) if overrides else settings
        self.endpoint = check_endpoint(endpoint)
        first = self.settings.weight_per_minute
        if self.settings.learn_budget:  # until learn_budget() knows better
            from .budget import FALLBACK

            first = min(first, FALLBACK)
        self.limiter = WeightLimiter(first, window_seconds=self.settings.window_seconds)
        self.budget_source = "configured"  # or what learn_budget() found
        self._cached_budget: int | None = None  # from the ledger
        self._learnt_budget: int | None = None  # read by this run: saved to the ledger
        self.requests_sent = 0
        self.requests_by_path: Counter[str] = Counter()
        self._http = self._client(transport)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._offset_ms = 0
        self._offset_version = 0
        self._ban: BannedError | None = None
        self._ban_inherited = False
        self._closed = False
        self._stop = threading.Event()  # interrupt(): no new request
        # What a request with a JSON body signs (signing.Variant): QUERY until the endpoint
        # refuses a PUT with -1022 after signed GETs succeeded, then the variant it accepted;
        # remembered per host in the ledger (remote endpoints) so later runs start with it.
        self.body_signing = Variant.QUERY
        self._body_signing_known = False  # learned here or loaded: then the ledger keeps it
        self._signed_read_ok = False  # a signed GET was accepted: the key and secret are right
        self._abort = threading.Event()  # abort(): and cancel reads in flight
        parts = urlsplit(self.endpoint)
        ledger = self.settings.ledger
        # auto: a real exchange bans by IP, so its host is the key; a loopback one is a sandbox
        # (keyed by the instance it names in every answer, so a restarted one starts clean) or a test
        self._ledger_pending = ledger is None and is_loopback(parts.hostname or "")
        if ledger is None:
            ledger = not self._ledger_pending
        self._ledger_host = parts.netloc if ledger else None
        if self._ledger_host:
            self._load_ledger()

    def _client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        s = self.settings
        self._core = None  # our own Transport: requests go to its pool ready-made (_exchange)
        if transport is None:
            proxy = proxy_for(self.endpoint, s.env) if s.env_proxies else None
            https = self.endpoint.startswith("https:")  # always verified; SSL_CERT_FILE/DIR may name the CAs
            ssl_context = httpx.create_ssl_context(verify=True, trust_env=True) if https else None
            transport = Transport(ssl_context=ssl_context, max_connections=s.max_connections, proxy=proxy)
            self._core = _CoreTarget.of(self.endpoint, transport, s.timeout)
        return httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(s.timeout),
            follow_redirects=False,  # a redirect would carry a signed query to another URL
            trust_env=False,  # proxies come from proxy.py only: never for loopback
        )

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
        if isinstance(entry.get("budget"), dict):
            self._cached_budget = entry["budget"].get("weight_per_minute")
        if entry.get("signing") in {v.value for v in Variant}:
            self.body_signing = Variant(entry["signing"])
            self._body_signing_known = True
        if entry.get("banned_until"):
            self._ban_inherited = True
            self._ban = BannedError(
                endpoint=f"GET {TIME_PATH}",
                retry_after=round(entry["banned_until"] - wall),
                meaning="an earlier leaderctl run got this IP banned by the exchange for breaking its rate limit",
            )
            self.limiter.halt(self._ban.copy)

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
            signing=self.body_signing.value if self._body_signing_known else None,
            budget=self._budget_to_save(wall),
        )

    def _budget_to_save(self, wall: float) -> tuple[int, float] | None:
        from .budget import CACHE_SECONDS

        return (self._learnt_budget, wall + CACHE_SECONDS) if self._learnt_budget is not None else None

    def close(self) -> None:
        """Close the pool; threads waiting for the limiter stop with ConnectionClosedError."""
        if self._ledger_host and not self._closed:
            self._save_ledger()
        self._closed = True
        self.limiter.halt(ConnectionClosedError)
        self._http.close()

    # -- public --------------------------------------------------------------------

    def leader(self, api_key: str, api_secret: str, name: str | None = None) -> LeaderClient:
        """A client signed with this key pair; `name` (the config's leader name) starts each
        of its -v request lines."""
        return LeaderClient(self, _Credentials(api_key, api_secret, name))

    def server_time(self, *, settle: bool = False) -> int:
        """The exchange clock, epoch ms (GET /api/v1/time, unsigned)."""
        data = self.request("GET", TIME_PATH, signed=None, settle=settle)
        raw = data.get("serverTime") if isinstance(data, Mapping) else None
        value = integer(raw, max_digits=16)  # epoch ms, as a number or a string
        if value is None or value <= 0:
            raise UnexpectedResponseError(endpoint=f"GET {TIME_PATH}")
        return value

    def sync_clock(self, *, settle: bool = False) -> int:
        """Set the offset so timestamps follow the exchange clock; returns it in ms."""
        before = self.settings.wall_ms()
        server = self.server_time(settle=settle)
        after = self.settings.wall_ms()
        with self._lock:
            self._offset_ms = server - (before + after) // 2
            self._offset_version += 1
            return self._offset_ms

    def learn_budget(self) -> int:
        """The weight budget from now on: the one the exchange publishes in exchangeInfo
        (budget.py; cached in the ledger for an hour, per endpoint), else budget.FALLBACK when
        it cannot be read, whatever the reason; never above settings.weight_per_minute
        (LEADERCTL_WEIGHT_PER_MINUTE only lowers it). -v says which and why. Never raises:
        a ban or an interrupt met here stops the next request instead."""
        from . import budget
        from .requestlog import log as request_log

        learnt, source, why = self._cached_budget, "the cached exchangeInfo", ""
        if learnt is not None and not budget.MIN_REASONABLE <= learnt <= budget.MAX_REASONABLE:
            learnt = None
        if learnt is None:
            source = f"GET {budget.PATH}"
            try:
                learnt = budget.weight_per_minute(self.request("GET", budget.PATH, signed=None))
                why = "" if learnt is not None else "its rateLimits are missing, malformed or unreasonable"
            except Exception as exc:  # noqa: BLE001 - any failure means: not learnt
                why = f"it could not be read ({type(exc).__name__})"
            self._learnt_budget = learnt
        cap = self.settings.weight_per_minute
        use = min(learnt if learnt is not None else budget.FALLBACK, cap)
        self.limiter.set_budget(use)
        self.budget_source = "fallback" if learnt is None else "exchange"
        if not self.settings.verbose:
            return use
        if learnt is None:
            request_log.info("weight budget %d per minute: the conservative default, since %s %s%s", use,
                             budget.PATH, why or "was not read", "; lowered by LEADERCTL_WEIGHT_PER_MINUTE" if cap < budget.FALLBACK else "")
        else:
            request_log.info("weight budget %d per minute: %s publishes %d%s", use, source, learnt,
                             "; lowered by LEADERCTL_WEIGHT_PER_MINUTE" if cap < learnt else "")
        return use

    def interrupt(self) -> None:
        """No new request starts from now on (InterruptedRequest), except reads that settle a
        write (`settle=True`); requests in flight run to their answer or deadline. Thread-safe."""
        self._stop.set()
        self.limiter.wake()

    def abort(self) -> None:
        """interrupt(), and cancel reads in flight and settling reads too; writes in flight
        still run to their answer or deadline. Thread-safe."""
        self._abort.set()
        self._stop.set()
        self.limiter.wake()

    @property
    def interrupted(self) -> bool:
        return self._stop.is_set()

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
        settle: bool = False,
        report: Callable[[str], None] | None = None,
        fresh_for: float | None = None,
    ) -> Any:
        """Send one call with limiting, signing and retries; returns `data`.

        `signed` None means a public call whose answer is not wrapped (server time).
        Each attempt is signed afresh (new timestamp) after the limiter admits it.
        `settle` marks a read that settles a write already sent: allowed after interrupt().
        `report` is told when a write was resent signed the other way (see _resign).
        `fresh_for`: the body was built from a read just taken; if the rate limit holds the
        call back longer than this many seconds (the budget, or a 429, which the exchange
        did not process), it is not sent: WaitedBeforeSending, for the caller to read again.
        """
        call = Call(method, path, signed=signed is not None, secrets=self._secrets(signed, body), settle=settle, advice=self.settings.advice)
        content = encode_body(body) if body is not None else None
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        if signed:
            headers["X-BB-APIKEY"] = signed.api_key
        if content is not None:
            headers["Content-Type"] = "application/json"
        tries = _Tries()
        variant = self.body_signing if content else Variant.QUERY
        while True:
            reply = self._attempt(call, params, headers, content, signed, tries, variant, fresh_for)
            decision = classify(call, reply.status, reply.payload, reply.headers,
                                now=self.settings.wall_ms() / 1000, max_wait=self.settings.max_pause)
            outcome = self._outcome(decision.kind, tries)
            self._log(call, reply, outcome, tries, signed.leader if signed else None)
            if decision.kind is Kind.WAIT:  # every thread waits, even when this call gives up
                self.limiter.pause(decision.seconds or 0.0)
                log.warning("%s: rate limited; pausing every request for %.1f s", call.endpoint, decision.seconds or 0.0)
                if fresh_for is not None and outcome is Kind.WAIT:  # not processed: read again after the pause
                    raise WaitedBeforeSending(call.endpoint, decision.seconds or 0.0)
            if outcome is Kind.DONE:
                self._accepted(call, variant, tries, report)
                return decision.data
            if outcome is Kind.ERROR and self._resign(call, content, decision.error, tries):
                variant = variant.other
                continue
            if outcome in (Kind.HALT, Kind.UNKNOWN, Kind.ERROR):
                if outcome is Kind.HALT:
                    self._halt(decision.error)
                raise decision.error
            self._before_resend(call, outcome, tries)

    def _resign(self, call: Call, content: bytes | None, error: Exception | None, tries: _Tries) -> bool:
        """Whether to resend a write signed the other way: once, for a write with a body
        answered -1022 (invalid signature: rejected unprocessed) on a connection whose
        signed GETs were accepted, so the key and secret are right and only what the
        signature covers can differ (the docs leave open whether the body is signed)."""
        if tries.resigned or not call.write or not content or not self._signed_read_ok:
            return False
        if getattr(error, "code", None) != -1022:
            return False
        tries.resigned = True
        log.warning("%s: invalid signature (-1022) although signed reads were accepted; resending once signed the other way",
                    call.endpoint)
        return True

    def _accepted(self, call: Call, variant: Variant, tries: _Tries, report: Callable[[str], None] | None) -> None:
        if call.signed and not call.write:
            self._signed_read_ok = True
        if not tries.resigned:
            return
        with self._lock:
            self.body_signing = variant
            self._body_signing_known = True
        what = "the query string and the JSON body" if variant is Variant.QUERY_AND_BODY else "the query string only"
        note = (f"the exchange refused the {call.method}'s signature (-1022) and accepted it resent signed over {what}; "
                "leaderctl signs that way for this endpoint from now on")
        log.warning("%s: %s", call.endpoint, note)
        if report is not None:
            report(note)

    def _outcome(self, kind: Kind, tries: _Tries) -> Kind:
        """The decision, or ERROR when the retry policy allows no more resends of its kind."""
        policy = self.settings.retry
        if (kind is Kind.RETRY and not policy.allows(tries.resends)) or (
            kind is Kind.WAIT and not policy.allows(tries.waits)
        ) or (kind is Kind.RESYNC and tries.resynced):
            return Kind.ERROR
        return kind

    def _before_resend(self, call: Call, outcome: Kind, tries: _Tries) -> None:
        if outcome is Kind.RETRY:
            tries.resends += 1
            stop = self._abort if call.settle else self._stop
            stop.wait(self.settings.retry.delay(tries.resends))  # an interrupt ends the wait
        elif outcome is Kind.WAIT:
            tries.waits += 1  # the limiter's pause holds the resend back
        elif outcome is Kind.RESYNC:
            tries.resynced = True  # -1021 means not processed: safe to resend once, writes too
            self._resync(tries.clock_version, call.settle)

    def _attempt(self, call: Call, params, headers: dict, content: bytes | None, signed, tries: _Tries,
                 variant: Variant = Variant.QUERY, fresh_for: float | None = None) -> _Reply:
        check = partial(self._check_usable, call)
        check()
        began = time.monotonic()
        with self.limiter.slot(check=check):  # raises at once after a ban, close or interrupt
            waited = time.monotonic() - began
            if fresh_for is not None and waited > fresh_for:
                raise WaitedBeforeSending(call.endpoint, waited)  # never left: its weight is spent, nothing else
            tries.attempts += 1
            tries.clock_version = self._offset_version
            url = self._url(call.path, params, signed, content, variant)
            return self._send(call, url, headers, content)

    def _send(self, call: Call, url: str, headers: dict, content: bytes | None) -> _Reply:
        """One attempt over the wire, within the deadline. httpx exceptions stop here: they hold the URL."""
        with self._lock:
            self.requests_sent += 1
            self.requests_by_path[call.endpoint] += 1
        started = time.monotonic()
        deadline = started + self.settings.timeout
        try:
            with request_scope(deadline, None if call.write else self._abort):  # writes are never cancelled
                status, answer_headers, raw = self._exchange(call.method, url, headers, content, deadline)
        except Exception as exc:  # noqa: BLE001 - only the failures of _FAILURES are answers
            failure = self._failure(call, exc)
            if failure is None:
                raise
            return _Reply(None, failure, {}, (time.monotonic() - started) * 1000)
        if self._ledger_pending:
            self._adopt_sandbox(answer_headers.get(SANDBOX_INSTANCE_HEADER))
        return _Reply(status, _decode(raw), answer_headers, (time.monotonic() - started) * 1000)

    def _adopt_sandbox(self, instance: str | None) -> None:
        """A loopback endpoint that names its sandbox instance gets the ledger of that instance
        (see ledger.py): loaded at its first answer, saved at close."""
        if not instance or not _INSTANCE.fullmatch(instance):
            return
        with self._lock:
            if not self._ledger_pending:
                return
            self._ledger_pending = False
            self._ledger_host = f"{urlsplit(self.endpoint).netloc}#{instance}"
        self._load_ledger()

    def _exchange(self, method: str, url: str, headers: dict, content: bytes | None, deadline: float):
        limit = self.settings.max_body
        if self._core is not None:  # our own Transport: the signed URL goes to its pool ready-made
            status, answer_headers, chunks, close = self._core.open(method, url, headers, content)
            read = partial(read_stream, answer_headers, chunks, limit=limit, deadline=deadline)
        else:  # a transport given by the caller (tests), or an IDN host: through httpx's models
            response = self._http.send(self._http.build_request(method, url, headers=headers, content=content), stream=True)
            status, answer_headers, close = response.status_code, response.headers, response.close
            read = partial(read_body, response, limit=limit, deadline=deadline)
        try:
            body = read()
        except (BodyTooLarge, BadEncoding):
            if status not in (418, 429):
                raise
            body = b""  # a ban or a rate limit is known from the status alone
        finally:
            close()
        return status, answer_headers, body

    def _failure(self, call: Call, exc: Exception) -> NoAnswer | None:
        if self._abort.is_set() and not call.write:
            return NoAnswer(Why.INTERRUPTED, sent=True, kind="interrupted")
        if isinstance(exc, RuntimeError) and self._closed:
            return NoAnswer(Why.CLOSED, sent=False, kind="connection closed")
        for cls, why, sent in _FAILURES:
            if isinstance(exc, cls):
                detail = f"{exc.host}: {exc.reason}" if isinstance(exc, TLSVerifyFailed) else str(exc)[:80]
                kind = {Why.TOO_LARGE: "body too large", Why.ENCODING: "Content-Encoding", Why.TLS: "TLS"}
                return NoAnswer(why, sent=sent, kind=kind.get(why, type(exc).__name__),
                                detail=detail if why in (Why.TLS, Why.ENCODING) else "")
        return None

    def _log(self, call: Call, reply: _Reply, outcome: Kind, tries: _Tries, leader: str | None = None) -> None:
        if not self.settings.verbose:
            return
        answered = reply.status is not None
        log_request(
            call.endpoint,
            status=reply.status,
            code=response_code(reply.payload) if answered else None,
            weight=1,
            attempt=tries.attempts,
            elapsed_ms=reply.elapsed_ms,
            outcome=str(outcome),
            failure="" if answered else reply.payload.kind,
            leader=leader,
        )

    # -- request pieces --------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, object] | None, signed: _Credentials | None,
             content: bytes | None = None, variant: Variant = Variant.QUERY) -> str:
        if signed is None:
            query = encode_query(params or {})
        else:
            query = signed_query(
                params or {},
                secret=signed.api_secret,
                timestamp=self.settings.wall_ms() + self._offset_ms,
                recv_window=self.settings.recv_window,
                body=content,
                variant=variant,
            )
        return f"{self.endpoint}{path}?{query}" if query else f"{self.endpoint}{path}"

    def _check_usable(self, call: Call) -> None:
        if self._closed:
            raise ConnectionClosedError()
        if self._ban is not None:
            raise self._ban.copy()
        if self._abort.is_set() or (self._stop.is_set() and not call.settle):
            raise InterruptedRequest(call.endpoint)

    def _halt(self, error: ExchangeError) -> None:
        """Stop every thread, waiting or not: a ban (remembered), or a 429 too long to wait."""
        if isinstance(error, BannedError):
            with self._lock:
                if self._ban is None:
                    self._ban = error
            log.error("%s: this IP is banned by the exchange; no further requests will be sent", error.endpoint)
        self.limiter.halt(error.copy)

    def _resync(self, version: int, settle: bool) -> None:
        """Re-read the server clock once, unless another thread already did."""
        with self._sync_lock:
            if self._offset_version == version:
                offset = self.sync_clock(settle=settle)
                log.warning("timestamp outside recvWindow; clock offset to the exchange is now %d ms", offset)

    @staticmethod
    def _secrets(signed: _Credentials | None, body: Mapping[str, Any] | None) -> tuple[str, ...]:
        secrets = [signed.api_key, signed.api_secret] if signed else []
        code = body.get("inviteCode") if body else None
        if isinstance(code, str) and code:
            secrets.append(code)
        return tuple(secrets)


# --- one leader ----------------------------------------------------------------------


class LeaderClient:
    """The leader endpoints, signed with one leader's key pair."""

    def __init__(self, connection: Connection, credentials: _Credentials):
        self._conn = connection
        self._creds = credentials

    def __repr__(self) -> str:
        return f"LeaderClient({self._conn.endpoint!r})"

    def keyed_hash(self, purpose: str, value: str) -> str:
        """`value` as a hash keyed with this leader's API secret (reconciler/binding.py): binds
        a secret into a digest or a saved plan without revealing it; the secret stays here."""
        from .signing import keyed

        return keyed(self._creds.api_secret, purpose, value)

    def account_hash(self) -> str:
        """Which account these credentials are: the API key, keyed with the secret."""
        return self.keyed_hash("account", self._creds.api_key)

    def _get(self, path: str, params: Mapping[str, object] | None = None, *, settle: bool = False) -> Any:
        return self._conn.request("GET", LEADER + path, params, signed=self._creds, settle=settle)

    def _list(self, path: str, params: Mapping[str, object] | None = None) -> list[dict]:
        data = self._get(path, params)
        if data is None:
            return []
        if not _all_objects(data):
            raise UnexpectedResponseError(endpoint=f"GET {LEADER}{path}")
        return data

    def get_config(self, *, settle: bool = False) -> dict:
        """The live config. `settle=True`: a read-back after a write, allowed after interrupt()."""
        data = self._get("/config", settle=settle)
        if not isinstance(data, dict):
            raise UnexpectedResponseError(endpoint=f"GET {LEADER}/config")
        redact.remember_live_config(data)  # the live invite code is a secret too
        return data

    def put_config(self, body: dict, *, report: Callable[[str], None] | None = None, fresh_for: float | None = None) -> None:
        """`report`: told (in words) when the PUT had to be signed the other way (-1022).
        `fresh_for`: seconds the rate limit may hold it back before it is not sent (request())."""
        self._conn.request("PUT", LEADER + "/config", body=body, signed=self._creds, report=report, fresh_for=fresh_for)

    def get_symbols(self) -> list[dict]:
        return self._list("/symbols")

    def get_current_orders(self) -> list[dict]:
        return self._list("/orders/current")

    def get_order_history(self, page: int = 1, size: int = 10) -> Page:
        data = self._get("/orders/history", {"page": page, "size": size})
        return Page.from_data(data, f"GET {LEADER}/orders/history")

    def iter_order_history(self, size: int = 100) -> Iterator[dict]:
        return self._iter(self.get_order_history, size)

    def get_trade_data(self, period: int = 7) -> list[dict]:
        return self._list("/trade-data", {"type": period})

    def get_profit_sharing_history(self) -> list[dict]:
        return self._list("/profit-sharings/history")

    def get_followers(self, page: int = 1, size: int = 10) -> Page:
        return Page.from_data(self._get("/followers", {"page": page, "size": size}), f"GET {LEADER}/followers")

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
