"""The socket layer under httpx: a deadline for the whole request, and cancellation.

httpx's timeouts are per socket operation, so a body that trickles in one byte a
second never times out. Here every socket operation of a request runs inside a
`request_scope(deadline, cancel)` of the calling thread: each read waits at most
until the deadline (in short slices while the request can be cancelled, so that
`cancel.set()` stops it within POLL seconds), and connect, TLS and writes get
the time that is left.

`Transport` is an httpx transport over an httpcore pool with this backend. It
takes the proxy chosen by proxy.py (never from the environment by itself), keeps
response bodies raw (body.py decompresses them under a size limit) and reports a
certificate that does not verify as TLSVerifyFailed.
"""
from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpcore
import httpx

from .proxy import ProxyChoice

POLL = 0.1  # seconds: how soon a cancelled read notices

_local = threading.local()


@dataclass(frozen=True)
class _Scope:
    deadline: float  # time.monotonic()
    cancel: threading.Event | None


@contextmanager
def request_scope(deadline: float, cancel: threading.Event | None = None) -> Iterator[None]:
    """Every socket operation in this thread, until exit, ends by `deadline` or on `cancel`."""
    previous = getattr(_local, "scope", None)
    _local.scope = _Scope(deadline, cancel)
    try:
        yield
    finally:
        _local.scope = previous


def _remaining(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's request; raises `error` when none is left."""
    scope = getattr(_local, "scope", None)
    if scope is None:
        return timeout
    if scope.cancel is not None and scope.cancel.is_set():
        raise httpcore.ReadError("request cancelled")
    left = scope.deadline - time.monotonic()
    if left <= 0:
        raise error("the request's time is up")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose reads end at the request deadline or on cancel."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ReadTimeout("read timed out")
            left = _remaining(left, httpcore.ReadTimeout)
            scope = getattr(_local, "scope", None)
            cancellable = scope is not None and scope.cancel is not None
            try:
                return self._inner.read(max_bytes, min(left, POLL) if cancellable and left is not None else left)
            except httpcore.ReadTimeout:
                if not cancellable:
                    raise  # waited the whole time that was left

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout, httpcore.ConnectTimeout))
        return _Stream(inner)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = _remaining(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover - not used
        timeout = _remaining(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# --- httpcore -> httpx ---------------------------------------------------------------


class TLSVerifyFailed(httpx.ConnectError):
    """The server's certificate did not verify; `host` and `reason` say which and why."""

    def __init__(self, host: str, reason: str):
        super().__init__(f"TLS certificate verification failed for {host}: {reason}")
        self.host = host
        self.reason = reason


_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (  # most specific first
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _translated(request: httpx.Request | None, host: str | None = None) -> Iterator[None]:
    """httpcore's exceptions as httpx's (TLSVerifyFailed for a certificate that does not verify)."""
    try:
        yield
    except Exception as exc:
        verify = _verify_error(exc)
        if verify is not None:
            raise TLSVerifyFailed(host or request.url.host, verify.verify_message or str(verify.reason)) from None
        for theirs, ours in _EXCEPTIONS:
            if isinstance(exc, theirs):
                raise ours(str(exc), request=request) from None
        raise


def _verify_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


class _Body(httpx.SyncByteStream):
    def __init__(self, stream, request: httpx.Request):
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _translated(self._request):
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class Transport(httpx.BaseTransport):
    """httpx over an httpcore pool whose sockets keep the request deadline."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None, max_connections: int, proxy: ProxyChoice | None = None):
        common = dict(ssl_context=ssl_context, max_connections=max_connections,
                      max_keepalive_connections=max_connections, network_backend=_Backend())
        if proxy is None:
            self._pool = httpcore.ConnectionPool(**common)
        elif proxy.scheme.startswith("socks"):
            self._pool = httpcore.SOCKSProxy(proxy_url=proxy.url, proxy_auth=proxy.auth, **common)
        else:
            self._pool = httpcore.HTTPProxy(proxy_url=proxy.url, proxy_auth=proxy.auth, **common)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _translated(request):
            response = self._pool.handle_request(core)
        return httpx.Response(response.status, headers=response.headers,
                              stream=_Body(response.stream, request), extensions=response.extensions)

    def open(self, method: bytes, url: httpcore.URL, headers: list[tuple[bytes, bytes]], content: bytes | None,
             extensions: dict, host: str) -> tuple[int, httpx.Headers, Iterator[bytes], Callable[[], None]]:
        """One request without httpx's models: `url` is ready-made (its target is the signed
        path and query, sent as they are), `headers` complete (Host included). Returns the
        status, the headers, the raw body chunks and a close for the body stream; the
        same httpx exceptions as handle_request (`host` names the server in TLSVerifyFailed)."""
        request = httpcore.Request(method, url, headers=headers, content=content, extensions=extensions)
        with _translated(None, host):
            response = self._pool.handle_request(request)
        stream = response.stream

        def chunks() -> Iterator[bytes]:
            with _translated(None, host):
                yield from stream

        def close() -> None:
            with _translated(None, host):
                stream.close()

        return response.status, httpx.Headers(response.headers), chunks(), close

    def close(self) -> None:
        self._pool.close()
