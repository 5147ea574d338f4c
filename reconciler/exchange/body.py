"""Reading an answer body with bounded memory: raw bytes, decompressed here under a limit.

httpx would decompress a gzip body completely before anyone could count it (a
1 MB "gzip bomb" becomes 1 GiB in memory). Here the raw bytes are read and
inflated with `max_length`, so at most `limit + 1` bytes of output ever exist;
one byte more and the body is refused. Only gzip and deflate are accepted (and
asked for: ACCEPT_ENCODING); any other Content-Encoding is refused as unreadable.
"""
from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Mapping

import httpx

ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyTooLarge(Exception):
    """More than the limit, counted after decompression."""


class BadEncoding(Exception):
    """A Content-Encoding that is not supported, or data that does not decode."""


class _Identity:
    def feed(self, data: bytes, room: int) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _Inflate:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), output capped per call."""

    def __init__(self, encoding: str):
        self._encoding = encoding
        self._wbits = _WBITS[encoding]
        self._z = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflate(data, room)
        except zlib.error:
            if self._encoding != "deflate" or self._started:
                raise BadEncoding(f"corrupt {self._encoding} data") from None
            self._z, self._wbits = zlib.decompressobj(-zlib.MAX_WBITS), -zlib.MAX_WBITS  # raw deflate
            try:
                out = self._inflate(data, room)
            except zlib.error:
                raise BadEncoding("corrupt deflate data") from None
        self._started = True
        return out

    def _inflate(self, data: bytes, room: int) -> bytes:
        out = self._z.decompress(data, room)
        while self._z.unconsumed_tail and len(out) < room:  # stops once `room` is full: over the limit
            out += self._z.decompress(self._z.unconsumed_tail, room - len(out))
        return out

    def flush(self) -> bytes:
        if not self._z.eof and self._started:
            raise BadEncoding(f"truncated {self._encoding} data")
        return b""


def decoder(content_encoding: str | None):
    """The decoder for a Content-Encoding header; BadEncoding for anything but gzip/deflate."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    names = [n for n in names if n != "identity"]
    if not names:
        return _Identity()
    if len(names) == 1 and names[0] in _WBITS:
        return _Inflate(names[0])
    raise BadEncoding(f"unsupported Content-Encoding {', '.join(names)[:40]!r}")


def read_body(
    response: httpx.Response, *, limit: int, deadline: float, clock: Callable[[], float] = time.monotonic
) -> bytes:
    """The whole decoded body, at most `limit` bytes, by `deadline` (on `clock`)."""
    if response.is_stream_consumed:  # a ready-made answer of a test transport: already in memory
        if len(response.content) > limit:
            raise BodyTooLarge()
        return response.content
    return read_stream(response.headers, response.iter_raw(), limit=limit, deadline=deadline, clock=clock)


def read_stream(
    headers: Mapping[str, str], chunks: Iterable[bytes], *, limit: int, deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """`read_body` over raw chunks and their headers (case-insensitive `get`): the client's
    own request path (transport.Transport.open) reads httpcore's stream with it."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    decode = decoder(headers.get("content-encoding"))
    body, raw = bytearray(), 0
    for chunk in chunks:
        raw += len(chunk)
        body += decode.feed(chunk, limit - len(body) + 1)
        if len(body) > limit or raw > limit:
            raise BodyTooLarge()
        if clock() > deadline:
            raise httpx.ReadTimeout("the request's time is up")
    body += decode.flush()
    return bytes(body)
