"""What one attempt's answer means: `classify` is a pure function, tested as a table.

    classify(call, status, payload, headers, now=...) -> Decision

`status` is the HTTP status, or None when no answer came; then `payload` is a
NoAnswer saying why. Otherwise `payload` is the decoded JSON body (None when the
body is not JSON). The decision is one of:

    DONE     the call succeeded: `data`
    RETRY    a transient failure: back off and resend (if the retry policy allows)
    WAIT     rate limited (429/-1003): pause every request `seconds`, then resend
    RESYNC   -1021: re-read the server clock, resend once (nothing was processed)
    HALT     stop every request on this connection (a ban, or a 429 too long to wait)
    UNKNOWN  a write that may or may not have been applied: the caller reads back
    ERROR    a definite answer: raise `error`

For RETRY/WAIT/RESYNC, `error` is what the call raises once resending is not allowed.
A write is only ever resent when it provably was not processed (never sent, 429,
-1021); any other doubt about a write is UNKNOWN, never a plain rejection.

A code's decision follows from its kind in the code table (`errors.CODES`), so the
grouping is written once: TransientError codes are retried on a read (and UNKNOWN on
a 2XX-answered write), OutcomeUnknownError codes (execution status unknown) are
retried on a read and UNKNOWN on any write, RateLimitedError waits, the rest is ERROR.
"""
from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reconciler import redact
from reconciler.errors import LeaderctlError

from .errors import (
    CODE,
    MAX_BAN_SECONDS,
    TOO_MANY_REQUESTS,
    BannedError,
    ConnectionClosedError,
    EndpointNotFoundError,
    ExchangeError,
    FirewallError,
    InterruptedRequest,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    ResponseTooLargeError,
    ServerError,
    TLSVerificationError,
    TransientError,
    TransportError,
    UnexpectedResponseError,
    error_for_code,
    escape_controls,
)

SUCCESS = 200
TIMESTAMP_OUTSIDE_WINDOW = -1021  # the one code with a decision of its own: RESYNC
RETRY_AFTER_DEFAULT = 60.0  # a 429 without a usable Retry-After

_BANNED = re.compile(r"\bban(ned)?\b", re.IGNORECASE)
_BANNED_UNTIL = re.compile(r"until\D{0,3}(\d{10,13})\b", re.IGNORECASE)
_SIGNATURE = re.compile(r"\b[0-9a-fA-F]{64}\b")


class Kind(StrEnum):
    DONE = "done"
    RETRY = "retry"
    WAIT = "wait"
    RESYNC = "resync"
    HALT = "halt"
    UNKNOWN = "unknown"
    ERROR = "error"


class Why(StrEnum):
    """Why no answer came."""

    NETWORK = "network"  # refused, reset, DNS, proxy...
    TIMEOUT = "timeout"  # the whole-request deadline passed
    TLS = "tls"  # the certificate did not verify
    TOO_LARGE = "too_large"  # the body is over the limit (after decompression)
    ENCODING = "encoding"  # a Content-Encoding that cannot be read
    UNUSABLE = "unusable"  # the request could not be built or sent at all
    INTERRUPTED = "interrupted"  # Connection.abort() cancelled it
    CLOSED = "closed"  # the connection was closed under it


@dataclass(frozen=True)
class Call:
    """What is being asked: enough to decide, nothing secret in its repr."""

    method: str
    path: str
    signed: bool = True
    secrets: tuple[str, ...] = field(default=(), repr=False)  # redacted from the exchange's text
    advice: Mapping[int, str] | None = field(default=None, repr=False, compare=False)  # ConnectionSettings.advice
    settle: bool = False  # a read that settles a write: allowed after interrupt()

    @property
    def write(self) -> bool:
        return self.method != "GET"

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"  # never the query: it holds the signature


@dataclass(frozen=True)
class NoAnswer:
    """An attempt that got no usable answer; `sent` False means it never left."""

    why: Why
    sent: bool
    kind: str = ""  # what failed, as shown in messages, e.g. "ReadTimeout"
    detail: str = ""  # e.g. the TLS verification message, the host


@dataclass(frozen=True)
class Decision:
    kind: Kind
    data: Any = None
    error: LeaderctlError | None = None
    seconds: float | None = None  # WAIT: pause every request this long


def classify(
    call: Call,
    status: int | None,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    *,
    now: float | None = None,
    max_wait: float = 300.0,
) -> Decision:
    """The decision for one attempt. `now` (epoch s) reads HTTP-date Retry-After values."""
    if status is None:
        return _no_answer(call, payload)
    headers = headers or {}
    code = response_code(payload)
    if status == 418:
        return Decision(Kind.HALT, error=BannedError(http_status=418, endpoint=call.endpoint,
                                                     retry_after=retry_after(headers, now)))
    if call.write and status >= 500:
        return _unknown(call, status, code, "was answered by a server error")
    if call.write and _kind(code) is OutcomeUnknownError:  # whatever the status says: the exchange does not know
        return _unknown(call, status, code, f"was answered {code}: execution status unknown")
    if status == 429 or _kind(code) is RateLimitedError:
        return _rate_limited(call, status, code, payload, headers, now, max_wait)
    if status == 403:
        return Decision(Kind.ERROR, error=FirewallError(endpoint=call.endpoint))
    if status >= 500:
        return Decision(Kind.RETRY, error=ServerError(
            http_status=status, endpoint=call.endpoint, meaning=f"{call.endpoint} kept failing with a server error"))
    if status == 404 and _kind(code) in (None, TransientError):  # an undocumented or generic code: no such endpoint
        return Decision(Kind.ERROR, error=EndpointNotFoundError(endpoint=call.endpoint, server_msg=_msg(call, payload)))
    if code is None:
        return _not_wrapped(call, status, payload)
    return _by_code(call, status, code, payload)


def _no_answer(call: Call, failure: NoAnswer) -> Decision:
    ep, kind = call.endpoint, failure.kind or str(failure.why)
    if failure.why is Why.INTERRUPTED:
        return Decision(Kind.ERROR, error=InterruptedRequest(ep))
    if failure.why is Why.CLOSED:
        return Decision(Kind.ERROR, error=ConnectionClosedError())
    if failure.why is Why.TLS:
        return Decision(Kind.ERROR, error=TLSVerificationError(endpoint=ep, host=failure.detail.partition(": ")[0],
                                                               reason=failure.detail.partition(": ")[2]))
    if call.write and failure.sent:
        return Decision(Kind.UNKNOWN, error=OutcomeUnknownError(
            endpoint=ep, kind=kind, meaning=f"{ep} was sent but {_lost(failure)}"))
    if failure.why is Why.TOO_LARGE:
        return Decision(Kind.ERROR, error=ResponseTooLargeError(endpoint=ep, kind=kind))
    if failure.why is Why.ENCODING:
        return Decision(Kind.ERROR, error=UnexpectedResponseError(
            endpoint=ep, kind=kind,
            meaning=f"the exchange's answer to {ep} could not be decoded ({escape_controls(failure.detail)})"))
    if failure.why is Why.TIMEOUT:
        error = TransportError(endpoint=ep, kind=kind, meaning=f"{ep} timed out: no complete answer in time",
                               advice="check the network and any proxy; raise --timeout if the exchange is slow")
    else:
        error = TransportError(endpoint=ep, kind=kind, meaning=f"could not reach the exchange for {ep}")
    return Decision(Kind.ERROR if failure.why is Why.UNUSABLE else Kind.RETRY, error=error)


def _lost(failure: NoAnswer) -> str:
    return {
        Why.TIMEOUT: "timed out before a complete answer",
        Why.TOO_LARGE: "the answer was too large to read",
        Why.ENCODING: "the answer could not be decoded",
    }.get(failure.why, "got no answer")


def _unknown(call: Call, status: int, code: int | None, why: str) -> Decision:
    return Decision(Kind.UNKNOWN, error=OutcomeUnknownError(
        code, http_status=status, endpoint=call.endpoint, meaning=f"{call.endpoint} {why}"))


def _rate_limited(call, status, code, payload, headers, now, max_wait) -> Decision:
    msg = _msg(call, payload)
    if code == TOO_MANY_REQUESTS and msg and _BANNED.search(msg):
        until = _banned_until(msg, now)
        return Decision(Kind.HALT, error=BannedError(
            code, http_status=status, endpoint=call.endpoint,
            retry_after=until if until is not None else retry_after(headers, now)))
    wait = retry_after(headers, now)
    wait = RETRY_AFTER_DEFAULT if wait is None else wait
    error = RateLimitedError(code, http_status=status, endpoint=call.endpoint, retry_after=min(wait, MAX_BAN_SECONDS))
    if wait > max_wait:
        return Decision(Kind.HALT, error=error)  # too long to wait inside a run: stop, don't hang
    return Decision(Kind.WAIT, error=error, seconds=wait)


def _not_wrapped(call: Call, status: int, payload: Any) -> Decision:
    ok = 200 <= status < 300
    if not call.signed and ok and isinstance(payload, Mapping):
        return Decision(Kind.DONE, data=payload)  # the unwrapped public answer of /api/v1/time
    if call.write and not 400 <= status < 500:
        return _unknown(call, status, None, "got an answer leaderctl does not understand")
    if status >= 400:
        return Decision(Kind.ERROR, error=RejectedError(
            None, http_status=status, endpoint=call.endpoint, meaning=f"the exchange refused {call.endpoint}",
            advice="check the endpoint URL and the API key"))
    return Decision(Kind.ERROR, error=UnexpectedResponseError(http_status=status, endpoint=call.endpoint))


def _by_code(call: Call, status: int, code: int, payload: Mapping) -> Decision:
    ep = call.endpoint
    if code == SUCCESS:
        if 200 <= status < 300:
            return Decision(Kind.DONE, data=payload.get("data"))
        if call.write:
            return _unknown(call, status, None, f"was answered 'success' with HTTP {status}")
        return Decision(Kind.ERROR, error=UnexpectedResponseError(http_status=status, endpoint=ep))
    kind = _kind(code)
    in_doubt = kind is OutcomeUnknownError or (kind is TransientError and status < 400)  # a 4XX -1000 is a rejection
    if in_doubt and call.write:
        return _unknown(call, status, code, f"was answered {code}: the outcome is unknown")
    typed = error_for_code(code, http_status=status, endpoint=ep, server_msg=_msg(call, payload),
                           advice_for=call.advice, as_kind=TransientError if in_doubt else None)
    if code == TIMESTAMP_OUTSIDE_WINDOW and call.signed:  # an unsigned call has no timestamp to fix
        return Decision(Kind.RESYNC, error=typed)  # not processed: safe to resend, writes too
    return Decision(Kind.RETRY if in_doubt else Kind.ERROR, error=typed)


def _kind(code: int | None) -> type[ExchangeError] | None:
    """The kind of a documented code (errors.CODES); None for no code or an undocumented one."""
    row = CODE.get(code) if code is not None else None
    return row.kind if row else None


# --- reading the answer ----------------------------------------------------------------


def response_code(payload: Any) -> int | None:
    """The wrapper's integer `code` ("200" and 200.0 too); None if absent or not an integer."""
    if not isinstance(payload, Mapping) or "code" not in payload:
        return None
    return integer(payload["code"])


def integer(raw: Any, max_digits: int = 12) -> int | None:
    """An integer written as a JSON number or string; None for anything else (bool, NaN, 1.5, "x")."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) < 10**max_digits else None
    if isinstance(raw, str):
        raw = raw.strip()
        return int(raw) if re.fullmatch(rf"-?\d{{1,{max_digits}}}", raw) else None
    if isinstance(raw, (float, Decimal)):
        try:
            if math.isfinite(raw) and raw == int(raw) and abs(raw) < 10**max_digits:
                return int(raw)
        except (ArithmeticError, ValueError, TypeError):
            return None
    return None


def retry_after(headers: Mapping[str, str], now: float | None) -> float | None:
    """Seconds from Retry-After (seconds or HTTP date); None when absent or unusable.

    A hostile value (inf, nan, negative, garbage) is unusable; a huge one is
    capped at the longest ban the exchange gives (3 days).
    """
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if re.fullmatch(r"\d{1,15}(\.\d{1,9})?", raw):
        return min(float(raw), MAX_BAN_SECONDS)
    if now is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return max(0.0, min(when - now, MAX_BAN_SECONDS))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


def _banned_until(msg: str, now: float | None) -> float | None:
    found = _BANNED_UNTIL.search(msg)
    if found is None or now is None:
        return None
    until = int(found.group(1))
    until = until / 1000 if until > 10**11 else until  # epoch ms or s
    return max(0.0, min(until - now, MAX_BAN_SECONDS))


def _msg(call: Call, payload: Any) -> str | None:
    """The exchange's msg, minus anything secret it might echo (key, secret, invite code, a signature)."""
    raw = payload.get("msg") if isinstance(payload, Mapping) else None
    if not isinstance(raw, (str, int, Decimal)) or isinstance(raw, bool):
        return None  # absent, or a structure: nothing a person should read
    # redact before any cut, so no part of a secret survives a cut: this call's secrets and
    # every other one of the run's leaders (`redact`), in any letter case
    text = redact.mask(str(raw), call.secrets)
    return _SIGNATURE.sub("(sensitive)", text)
