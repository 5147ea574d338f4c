"""One request and one answer of the sandbox, as they go over the wire."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.sandbox.codes import ApiError


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
    """An HTTP answer: JSON of `payload`, or `raw` bytes as they are.

    `hold` delays the whole answer (timeout faults); `trickle` sends the body
    `chunk` bytes at a time, `trickle` seconds apart (slow-body faults).
    """

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None
    raw: bytes | None = None
    hold: float = 0.0
    trickle: float = 0.0
    chunk: int = 1

    @classmethod
    def wrapped(cls, code: int, msg: str, data: Any = None, status: int = 200, headers=None) -> "Response":
        """The OpenAPI V2 wrapper `{"code", "msg", "data"}`."""
        return cls(status, {"code": code, "msg": msg, "data": data}, dict(headers or {}), code)

    @classmethod
    def error(cls, exc: ApiError, headers=None) -> "Response":
        return cls.wrapped(exc.code, exc.msg, None, exc.status, headers)

    @classmethod
    def raw_bytes(cls, status: int, raw: bytes, payload: Any = None) -> "Response":
        """Bytes as they are; `payload` (if it is what they encode) names the code for the record."""
        code = payload.get("code") if isinstance(payload, dict) else None
        return cls(status, payload, {}, code if isinstance(code, int) and not isinstance(code, bool) else None, raw)

    def with_data(self, data: Any) -> "Response":
        """The same answer with its wrapper's `data` replaced (the whole payload if unwrapped)."""
        if isinstance(self.payload, dict) and "data" in self.payload:
            return replace(self, payload={**self.payload, "data": data}, raw=None)
        return replace(self, payload=data, raw=None, code=None)

    def content(self) -> bytes:
        return self.raw if self.raw is not None else json.dumps(self.payload).encode()

    def header_items(self, length: int) -> list[tuple[str, str]]:
        """Content-Type and Content-Length, then `headers`; a header given there replaces the default."""
        given = {name.lower() for name in self.headers}
        defaults = [("Content-Type", "application/json"), ("Content-Length", str(length))]
        return [(n, v) for n, v in defaults if n.lower() not in given] + list(self.headers.items())
