"""The sandbox's HTTP face: routing, signing checks, weight limits, faults, latency.

Each request goes through one pipeline (`Sandbox._handle`), in this order:
latency -> IP ban / weight limit (429, 418) -> injected fault -> route ->
authentication (API key, signature, recvWindow, read-only) -> endpoint
(state.Exchange) -> response wrapper -> record. Business errors are HTTP 200 with
the documented code, like the real exchange.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from reconciler.sandbox.state import MESSAGES, ApiError, Exchange, Store, invalid, missing

log = logging.getLogger(__name__)

LEADER = "/api/v2/copy-trading/leader"
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
API_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{16,128}")
WINDOW_SECONDS = 60.0
BAN_AFTER_STRIKES = 3  # requests sent after a 429 before its Retry-After elapsed
FAULT_KINDS = frozenset({"5xx_before", "5xx_after", "latency", "429", "timeout", "error_code"})


# ------------------------------------------------------------- public records


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` matching requests (None = forever)."""

    method: str | None = None
    path_prefix: str | None = None
    kind: str = "5xx_before"
    times: int | None = 1
    status: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    code: int | None = None
    msg: str | None = None

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(FAULT_KINDS)}")
        if self.kind == "error_code" and self.code is None:
            raise ValueError("an error_code fault needs code=")

    def matches(self, method: str, path: str) -> bool:
        return (
            (self.times is None or self.times > 0)
            and (self.method is None or self.method.upper() == method)
            and (self.path_prefix is None or path.startswith(self.path_prefix))
        )


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it and answered it."""

    method: str
    path: str
    query: dict
    account: str | None
    http_status: int
    code: int | None
    body: dict | None


@dataclass(frozen=True)
class Account:
    """Credentials of one sandbox account (throwaway keys, loopback only)."""

    name: str
    api_key: str
    api_secret: str
    readonly_api_key: str
    readonly_api_secret: str
    leader: bool = True


# ------------------------------------------------------------------- plumbing


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    query: dict[str, str]
    headers: Any
    body: bytes
    client_ip: str
    account: str | None = None  # filled in once the API key is known


@dataclass
class Response:
    status: int
    payload: Any  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None

    @classmethod
    def wrapped(cls, code: int, msg: str, data: Any = None, status: int = 200, headers=None) -> "Response":
        return cls(status, {"code": code, "msg": msg, "data": data}, dict(headers or {}), code)

    @classmethod
    def error(cls, exc: ApiError, headers=None) -> "Response":
        return cls.wrapped(exc.code, exc.msg, None, exc.status, headers)


def sign(secret: str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of `payload`, keyed with `secret` (NOTES.md section 2)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_payload(raw_query: str) -> str:
    """What the client signed: the query string exactly as sent, minus `signature=`.

    Only the query string is signed, never the JSON body (NOTES.md section 2).
    """
    return "&".join(p for p in raw_query.split("&") if p and not p.startswith("signature="))


class RateLimiter:
    """Request weight per client IP over a rolling 60 s window, with 429 then 418.

    Over the limit a request gets 429 and a Retry-After (seconds until the window
    frees a slot). An IP that sends BAN_AFTER_STRIKES more requests before that
    Retry-After elapsed is banned (418) for `ban_seconds`.
    """

    def __init__(self, weight_per_minute: int, ban_seconds: int):
        self.limit = weight_per_minute
        self.ban_seconds = ban_seconds
        self._lock = threading.Lock()
        self._used: dict[str, deque[float]] = {}
        self._limited_until: dict[str, float] = {}
        self._strikes: dict[str, int] = {}
        self._banned_until: dict[str, float] = {}

    def admit(self, ip: str, weight: int = 1, now: float | None = None) -> Response | None:
        """None if the request may proceed, else the 429/418 answer."""
        now = time.monotonic() if now is None else now
        with self._lock:
            banned = self._banned_until.get(ip, 0.0)
            if banned > now:
                return self._banned(banned, now)
            used = self._used.setdefault(ip, deque())
            while used and used[0] <= now - WINDOW_SECONDS:
                used.popleft()
            if len(used) + weight <= self.limit:
                used.extend([now] * weight)
                self._strikes[ip] = 0
                return None
            if self._limited_until.get(ip, 0.0) > now:
                self._strikes[ip] = self._strikes.get(ip, 0) + 1
                if self._strikes[ip] >= BAN_AFTER_STRIKES:
                    self._banned_until[ip] = now + self.ban_seconds
                    return self._banned(now + self.ban_seconds, now)
            retry_after = max(1, math.ceil(used[0] + WINDOW_SECONDS - now)) if used else 1
            self._limited_until[ip] = now + retry_after
            msg = f"Too many requests; current limit is {self.limit} request weight per 1 MINUTE."
            return Response.wrapped(-1003, msg, status=429, headers={"Retry-After": str(retry_after)})

    @staticmethod
    def _banned(until: float, now: float) -> Response:
        seconds = max(1, math.ceil(until - now))
        msg = f"Way too many requests; IP banned for {seconds} more seconds."
        return Response.wrapped(-1003, msg, status=418, headers={"Retry-After": str(seconds)})


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    endpoint: Callable  # (exchange, account, request, match) -> data
    signed: bool = True
    write: bool = False


def _route(method: str, path: str, endpoint: Callable, **kw) -> Route:
    return Route(method, re.compile(re.escape(path).replace(r"\{id\}", r"(?P<id>[^/]+)") + r"\Z"), endpoint, **kw)


def _read(name: str) -> Callable:
    return lambda ex, account, req, m: getattr(ex, name)(account, req.query)


ROUTES = (
    _route("GET", "/api/v1/time", None, signed=False),
    _route("GET", f"{LEADER}/orders/current", _read("orders_current")),
    _route("GET", f"{LEADER}/orders/history", _read("orders_history")),
    _route("GET", f"{LEADER}/trade-data", _read("trade_data")),
    _route("GET", f"{LEADER}/profit-sharings/history", _read("profit_sharings")),
    _route("GET", f"{LEADER}/symbols", _read("symbols")),
    _route("GET", f"{LEADER}/config", _read("get_config")),
    _route("PUT", f"{LEADER}/config", lambda ex, a, req, m: ex.put_config(a, _json_body(req.body)), write=True),
    _route("GET", f"{LEADER}/followers", _read("followers")),
    _route("DELETE", f"{LEADER}/followers/{{id}}", lambda ex, a, req, m: ex.remove_follower(a, m["id"]), write=True),
)


def _json_body(body: bytes, exact: bool = True) -> Any:
    """The request's JSON body; decimals kept exact (Decimal) for validation."""
    if not body.strip():
        raise missing("body")
    try:
        return json.loads(body, parse_float=Decimal if exact else float)
    except (ValueError, UnicodeDecodeError):
        raise missing("body") from None


# -------------------------------------------------------------------- sandbox


class Sandbox:
    """A local, faithful Toobit copy-trading leader API over real HTTP."""

    def __init__(
        self,
        state_path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        weight_per_minute: int = 1200,
        ban_seconds: int = 120,
    ):
        self.host = host
        self.port = port
        self.latency = latency
        self.store = Store(Path(state_path) if state_path is not None else None)
        self.exchange = Exchange(self.store)
        self.limiter = RateLimiter(weight_per_minute, ban_seconds)
        self.clock_offset_ms = 0
        self._faults: list[Fault] = []
        self._requests: list[RequestRecord] = []
        self._lock = threading.Lock()  # guards faults and request records
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> "Sandbox":
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.sandbox = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="leaderctl-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until stop() is called from another thread (or Ctrl-C)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- accounts and state

    def ensure_account(self, name: str, *, leader: bool = True) -> Account:
        """The account `name`, seeded deterministically from the name if new."""
        a = self.store.ensure(name, leader=leader)
        return Account(
            a["name"], a["api_key"], a["api_secret"], a["readonly_api_key"], a["readonly_api_secret"], bool(a["leader"])
        )

    def account_state(self, name: str) -> dict:
        """The live, mutable state of one account; call save() after changing it."""
        self.store.reload_if_changed()
        return self.store.accounts[name]

    def save(self) -> None:
        self.store.save()

    def set_latency(self, seconds: float) -> None:
        self.latency = seconds

    def set_clock_offset(self, milliseconds: int) -> None:
        """Skew the exchange's clock, to exercise -1021 and /api/v1/time recovery."""
        self.clock_offset_ms = milliseconds

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    # -- faults and records

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- the pipeline

    def _handle(self, req: Request) -> tuple[Response, float]:
        """The answer to `req` and how long to hold it back first (timeout faults)."""
        response, hold = self._answer(req)
        try:
            body = _json_body(req.body, exact=False)
        except ApiError:  # empty or not JSON
            body = None
        record = RequestRecord(
            req.method, req.path, dict(req.query), req.account, response.status, response.code,
            body if isinstance(body, dict) else None,
        )
        with self._lock:
            self._requests.append(record)
        return response, hold

    def _answer(self, req: Request) -> tuple[Response, float]:
        if self.latency > 0:
            time.sleep(self.latency)
        limited = self.limiter.admit(req.client_ip)
        if limited is not None:
            return limited, 0.0
        fault = self._take_fault(req.method, req.path)
        if fault is not None:
            early = self._fault_before(fault)
            if early is not None:
                return early, 0.0
        response = self._dispatch(req)
        if fault is not None and fault.kind == "5xx_after":
            return _server_error(fault.status), 0.0
        if fault is not None and fault.kind == "timeout":
            return response, fault.delay
        return response, 0.0

    @staticmethod
    def _fault_before(fault: Fault) -> Response | None:
        if fault.kind == "latency":
            time.sleep(fault.delay)
            return None
        if fault.kind == "5xx_before":
            return _server_error(fault.status)
        if fault.kind == "429":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return Response.wrapped(-1003, MESSAGES[-1003], status=429, headers=headers)
        if fault.kind == "error_code":
            return Response.wrapped(fault.code, fault.msg or MESSAGES.get(fault.code, "unknown"))
        return None

    def _dispatch(self, req: Request) -> Response:
        route, match = _find_route(req.method, req.path)
        if route is None:
            status = 405 if match else 404
            return Response.wrapped(-1000, "unknown", status=status)
        if not route.signed:
            return Response(200, {"serverTime": self.now_ms()})
        try:
            with self.store.lock:
                self.store.reload_if_changed()
                account, readonly = self._authenticate(req)
                if route.write and readonly:
                    raise ApiError(-1020)
                data = route.endpoint(self.exchange, account, req, match)
            return Response.wrapped(200, "success", data)
        except ApiError as exc:
            return Response.error(exc)
        except Exception:  # a sandbox bug: say so, the way the exchange would
            log.exception("sandbox failed on %s %s", req.method, req.path)
            return Response.wrapped(-1000, "unknown", status=500)

    def _authenticate(self, req: Request) -> tuple[dict, bool]:
        """API key, then signature, then the timestamp window (NOTES.md section 2)."""
        key = req.headers.get("X-BB-APIKEY")
        if not key:
            raise ApiError(-2015)
        if not API_KEY_FORMAT.fullmatch(key):
            raise ApiError(-2014)
        found = self.store.by_key(key)
        if found is None:
            raise ApiError(-2015)
        account, readonly = found
        req.account = account["name"]
        query = req.query
        if not query.get("timestamp"):
            raise missing("timestamp")
        if not re.fullmatch(r"\d{1,19}", query["timestamp"]):
            raise missing("timestamp")
        recv_window = query.get("recvWindow", str(DEFAULT_RECV_WINDOW))
        if not re.fullmatch(r"\d{1,19}", recv_window) or not 0 < int(recv_window) <= MAX_RECV_WINDOW:
            raise invalid("recvWindow")
        if not query.get("signature"):
            raise missing("signature")
        secret = account["readonly_api_secret"] if readonly else account["api_secret"]
        expected = sign(secret, signed_payload(req.raw_query))
        if not hmac.compare_digest(expected, query["signature"].lower()):
            raise ApiError(-1022)
        if abs(self.now_ms() - int(query["timestamp"])) > int(recv_window):
            raise ApiError(-1021)
        return account, readonly


def _server_error(status: int) -> Response:
    return Response.wrapped(-1001, MESSAGES[-1001], status=status)


def _find_route(method: str, path: str) -> tuple[Route | None, Any]:
    """The route for (method, path); (None, True) when only the method is wrong."""
    path_known = False
    for route in ROUTES:
        match = route.pattern.match(path)
        if match:
            if route.method == method:
                return route, match
            path_known = True
    return None, path_known


# ------------------------------------------------------------------ HTTP layer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True
    sandbox: Sandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "leaderctl-sandbox/1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body leave in two writes; without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self._serve()

    do_PUT = do_DELETE = do_POST = do_PATCH = do_GET

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            raw_query=parts.query,
            query=_first_values(parts.query),
            headers=self.headers,
            body=self._read_body(),
            client_ip=self.client_address[0],
        )
        response, hold = self.server.sandbox._handle(request)
        if hold > 0:
            time.sleep(hold)
        payload = json.dumps(response.payload).encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout faults)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args) -> None:
        # the request line carries the signature in its query: log the path only
        line = re.sub(r"\?\S*", "", format % args)
        log.debug("%s - %s", self.address_string(), line)


def _first_values(raw_query: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        values.setdefault(name, value)
    return values


# ------------------------------------------------------------------ standalone


def serve(
    port: int,
    state_path: Path,
    names: list[str],
    host: str = "127.0.0.1",
    on_ready: Callable[[Sandbox, list[Account]], None] | None = None,
) -> None:
    """Run a sandbox in the foreground until Ctrl-C (for `leaderctl sandbox`).

    `on_ready(sandbox, accounts)` runs once it listens and every named account
    exists: the place to print the endpoint and credentials.
    """
    sandbox = Sandbox(state_path=state_path, host=host, port=port).start()
    try:
        accounts = [sandbox.ensure_account(name) for name in names]
        if on_ready is not None:
            on_ready(sandbox, accounts)
        sandbox.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
