"""The sandbox's HTTP face: routing, signing checks, weight limits, faults, latency.

Each request goes through one pipeline (`Sandbox._handle`), in this order:
latency -> IP ban / weight limit (429, 418) -> injected fault (faults.py) ->
route -> [store transaction: authentication (API key, signature, recvWindow,
read-only) -> endpoint (exchange.SimulatedExchange) -> save] -> response wrapper
-> record. Business errors are HTTP 200 with the documented code, like the real
exchange; a write that could not be saved is HTTP 500 with -1001.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from reconciler.sandbox.codes import ApiError, invalid, message, missing
from reconciler.sandbox.exchange import SimulatedExchange
from reconciler.sandbox.faults import Fault, FaultBook
from reconciler.sandbox.limiter import RateLimiter
from reconciler.sandbox.store import SandboxStateError, Store
from reconciler.sandbox.wire import Request, Response

log = logging.getLogger(__name__)

LEADER = "/api/v2/copy-trading/leader"
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
API_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{16,128}")


# ------------------------------------------------------------- public records


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


def sign(secret: str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of `payload`, keyed with `secret` (docs/exchange-api.md §2)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


BODY_SIGNING = ("query", "query+body")


def signed_payload(raw_query: str, body: bytes = b"", body_signing: str = "query") -> str:
    """What the client signed: the query string exactly as sent, minus `signature=`.

    By default only the query string is signed, never the JSON body (docs/exchange-api.md §2).
    `body_signing="query+body"` plays an exchange that wants the JSON body too: the body
    exactly as received, appended to the query string (as public clients that sign the
    body do), for requests that carry one.
    """
    query = "&".join(p for p in raw_query.split("&") if p and not p.startswith("signature="))
    if body_signing == "query+body" and body:
        return query + body.decode("utf-8", errors="replace")
    return query


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
    _route("GET", "/api/v1/exchangeInfo", None, signed=False),
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
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise missing("body") from None


# -------------------------------------------------------------------- sandbox


class Sandbox:
    """A local, faithful Toobit copy-trading leader API over real HTTP.

    `state_path=None` keeps the state in memory only. Raises SandboxStateError
    when the state file cannot be used (store.py).
    """

    def __init__(
        self,
        state_path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        weight_per_minute: int = 1200,
        ban_seconds: int = 120,
        body_signing: str = "query",
    ):
        if body_signing not in BODY_SIGNING:
            raise ValueError(f"body_signing: one of {BODY_SIGNING}")
        self.body_signing = body_signing  # what a request with a body must sign (signed_payload)
        self.host = host
        self.port = port
        self.latency = latency
        self.store = Store(Path(state_path) if state_path is not None else None)
        self.exchange = SimulatedExchange(self.store)
        self.limiter = RateLimiter(weight_per_minute, ban_seconds)
        # names this instance (its rate limiter lives as long as it does) in every answer's
        # X-Leaderctl-Sandbox header, so a client's cross-run weight record keys on it
        self.instance = secrets.token_hex(8)
        self.faults = FaultBook()
        self.clock_offset_ms = 0
        self.stopping = threading.Event()  # ends held and trickling answers at stop()
        self._requests: list[RequestRecord] = []
        self._lock = threading.Lock()  # guards the request records and _last_warning
        self._last_warning = ""
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> "Sandbox":
        if self._httpd is not None:
            return self
        self.stopping.clear()
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
        self.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- accounts and state

    def ensure_account(self, name: str, *, leader: bool = True) -> Account:
        """The account `name`, seeded deterministically from the name if new (saved at once)."""
        a = self.store.ensure(name, leader=leader)
        return Account(
            a["name"], a["api_key"], a["api_secret"], a["readonly_api_key"], a["readonly_api_secret"], bool(a["leader"])
        )

    def account_state(self, name: str) -> dict:
        """The live, mutable state of one account; call save() after changing it.

        Meant for one process: another process's write reloads the file and
        drops changes not saved yet.
        """
        with self.store.transaction():
            return self.store.accounts[name]

    def save(self) -> None:
        """Persist every account now; SandboxSaveError (state rolled back) if that fails."""
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
        return self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- the pipeline

    def _handle(self, req: Request) -> Response:
        response = self._answer(req)
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
        return response

    def _answer(self, req: Request) -> Response:
        if self.latency > 0:
            time.sleep(self.latency)
        limited = self.limiter.admit(req.client_ip)
        if limited is not None:
            return limited
        fault = self.faults.take(req.method, req.path)
        if fault is None:
            return self._dispatch(req)
        return fault.apply(lambda: self._dispatch(req))

    def _dispatch(self, req: Request) -> Response:
        route, match = _find_route(req.method, req.path)
        if route is None:
            status = 405 if match else 404
            return Response.wrapped(-1000, "unknown", status=status)
        if not route.signed and req.path.endswith("/exchangeInfo"):  # its own limit, Binance-style
            return Response(200, {"timezone": "UTC", "serverTime": self.now_ms(), "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": self.limiter.limit}]})
        if not route.signed:
            return Response(200, {"serverTime": self.now_ms()})
        try:
            with self.store.transaction():
                account, readonly = self._authenticate(req)
                if route.write and readonly:
                    raise ApiError(-1020)
                data = route.endpoint(self.exchange, account, req, match)
            return Response.wrapped(200, "success", data)
        except ApiError as exc:
            return Response.error(exc)
        except SandboxStateError as exc:  # a write not saved: not done, and not "success"
            self._warn_once(str(exc))
            return Response.wrapped(-1001, message(-1001), status=500)
        except Exception:  # a sandbox bug: say so, the way the exchange would
            log.exception("sandbox failed on %s %s", req.method, req.path)
            return Response.wrapped(-1000, "unknown", status=500)

    def _warn_once(self, text: str) -> None:
        """One line on stderr per distinct problem (a full disk fails every write alike)."""
        with self._lock:
            repeated, self._last_warning = text == self._last_warning, text
        log.log(logging.DEBUG if repeated else logging.WARNING, "%s", text)

    def _authenticate(self, req: Request) -> tuple[dict, bool]:
        """API key, then signature, then the timestamp window (docs/exchange-api.md §2)."""
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
        expected = sign(secret, signed_payload(req.raw_query, req.body, self.body_signing))
        if not hmac.compare_digest(expected, query["signature"].lower()):
            raise ApiError(-1022)
        if abs(self.now_ms() - int(query["timestamp"])) > int(recv_window):
            raise ApiError(-1021)
        return account, readonly


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

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (a timeout, an aborted read) is not the sandbox's error: no traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address[0], type(error).__name__)
            return
        log.error("sandbox: request from %s failed", client_address[0], exc_info=error)


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
        self._send(self.server.sandbox._handle(request))

    def _send(self, response: Response) -> None:
        stopping = self.server.sandbox.stopping
        if response.hold > 0 and stopping.wait(response.hold):
            self.close_connection = True
            return
        body = response.content()
        headers = [*response.header_items(len(body)), ("X-Leaderctl-Sandbox", self.server.sandbox.instance)]
        try:
            self.send_response(response.status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if response.trickle > 0:
                self._trickle(body, response.trickle, response.chunk, stopping)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout and trickle faults)
        if dict((n.lower(), v) for n, v in headers).get("content-length") != str(len(body)):
            self.close_connection = True  # a fault lied about the length: the stream is out of step

    def _trickle(self, body: bytes, delay: float, chunk: int, stopping: threading.Event) -> None:
        for start in range(0, len(body), chunk):
            if stopping.wait(delay):
                self.close_connection = True
                return
            self.wfile.write(body[start : start + chunk])

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
