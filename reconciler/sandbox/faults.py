"""Scripted misbehaviour, for hostile-network tests over real HTTP.

A `Fault` matches requests by method and path prefix (None = any) and applies to
the next `times` matching requests (None = every one), after the weight limit
admitted them. Kinds, with the parameters each one reads:

answer replaced (the endpoint does NOT run, unless `after=True`: then it runs
first, so a write IS applied, and its answer is thrown away):
  "5xx_before"  HTTP `status` (default 503), body {"code": -1001, ...}
  "5xx_after"   the same, always after=True
  "429"         HTTP `status` (default 429), -1003, `Retry-After: retry_after` if given
  "error_code"  HTTP `status` (default 200), {"code": code, "msg": msg or the documented one}
  "status"      HTTP `status` (required); body: the wrapper of `code`/`msg` if code is
                given, else `body`/`payload` if given, else empty
  "body"        HTTP `status` (default 200), `body` bytes as they are, or `payload`
                as JSON (NaN and Infinity allowed, as Python's json writes them)

endpoint runs, its answer is shaped:
  "latency"     sleep `delay` seconds first
  "timeout"     hold the real answer `delay` seconds before sending it
  "trickle"     send the real answer's body `chunk` bytes (default 1) every `delay` seconds
  "data"        replace the wrapper's `data` with `data` (any JSON value, None = null),
                whatever the answer's code

every kind's answer also carries the extra `headers` (a given Content-Type or
Content-Length replaces the default one; a false Content-Length closes the
connection after the answer).

Faults are thread-safe: each matching request uses up one of `times` exactly once.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from reconciler.sandbox.codes import message
from reconciler.sandbox.wire import Response


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "not given", where None (JSON null) is a value
REPLACING = frozenset({"5xx_before", "5xx_after", "429", "error_code", "status", "body"})
SHAPING = frozenset({"latency", "timeout", "trickle", "data"})
FAULT_KINDS = REPLACING | SHAPING


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` matching requests (module doc)."""

    method: str | None = None
    path_prefix: str | None = None
    kind: str = "5xx_before"
    times: int | None = 1
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    code: int | None = None
    msg: str | None = None
    after: bool = False
    body: bytes | None = None
    payload: Any = UNSET
    data: Any = UNSET
    headers: dict[str, str] = field(default_factory=dict)
    chunk: int = 1

    def __post_init__(self):
        problem = self._problem()
        if problem:
            raise ValueError(f"Fault(kind={self.kind!r}): {problem}")

    def _problem(self) -> str | None:
        """What is wrong with the parameters for this kind, if anything."""
        if self.kind not in FAULT_KINDS:
            return f"unknown kind; one of {sorted(FAULT_KINDS)}"
        if self.kind == "error_code" and self.code is None:
            return "needs code="
        if self.kind == "status" and self.status is None:
            return "needs status="
        if self.kind == "body" and (self.body is None) == (self.payload is UNSET):
            return "needs exactly one of body= (bytes) or payload= (a JSON value)"
        if self.kind == "data" and self.data is UNSET:
            return "needs data= (a JSON value; None is null)"
        if self.kind == "trickle" and (self.delay <= 0 or self.chunk < 1):
            return "needs delay > 0 and chunk >= 1"
        if self.after and self.kind not in REPLACING:
            return "after=True only applies to kinds that replace the answer"
        if self.body is not None and not isinstance(self.body, (bytes, bytearray)):
            return "body= must be bytes (use payload= for a JSON value)"
        for value in (self.payload, self.data):
            if value is not UNSET:
                try:
                    json.dumps(value)
                except (TypeError, ValueError, RecursionError) as exc:
                    return f"not JSON-serialisable ({type(exc).__name__}); send bytes with kind='body', body=..."
        return None

    def matches(self, method: str, path: str) -> bool:
        return (
            (self.times is None or self.times > 0)
            and (self.method is None or self.method.upper() == method)
            and (self.path_prefix is None or path.startswith(self.path_prefix))
        )

    def apply(self, run: Callable[[], Response]) -> Response:
        """The answer to a matching request; `run()` is the real endpoint."""
        if self.kind in REPLACING:
            if self.after or self.kind == "5xx_after":
                run()
            response = self._replacement()
        else:
            if self.kind == "latency":
                time.sleep(self.delay)
            response = run()
            if self.kind == "timeout":
                response.hold = self.delay
            elif self.kind == "trickle":
                response.trickle, response.chunk = self.delay, self.chunk
            elif self.kind == "data":
                response = response.with_data(self.data)
        response.headers.update(self.headers)
        return response

    def _replacement(self) -> Response:
        if self.kind in ("5xx_before", "5xx_after"):
            response = Response.wrapped(-1001, message(-1001), status=self.status or 503)
        elif self.kind == "429":
            response = Response.wrapped(-1003, message(-1003), status=self.status or 429)
            if self.retry_after is not None:
                response.headers["Retry-After"] = str(self.retry_after)
        elif self.kind == "error_code" or (self.kind == "status" and self.code is not None):
            response = Response.wrapped(self.code, self.msg or message(self.code), status=self.status or 200)
        elif self.body is not None:
            response = Response.raw_bytes(self.status or 200, bytes(self.body))
        elif self.payload is not UNSET:
            response = Response.raw_bytes(self.status or 200, json.dumps(self.payload).encode(), self.payload)
        else:  # a bare status
            response = Response.raw_bytes(self.status, b"")
        return response


class FaultBook:
    """The injected faults, shared by the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, with one of its `times` used up."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None
