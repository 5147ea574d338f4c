"""Exchange errors as data: one table of codes, and a few kinds to catch.

Every documented exchange code is one row of `CODES` (docs/exchange-api.md §5): what
it means, what to do, whether the exchange's own `msg` adds anything, and its kind:
the exception class raised for it. Callers catch a kind by what they do next, never
a code; the rare caller that needs more reads the row's flags on the error
(`already_done`, `pending`). A new code is one row here (and one line in the docs).

`str(err)` is one line, "<what happened> (<code>): <what to do>", written for the
person at the terminal; `err.detail` is the same without the "(<code>)" label, for
callers that show the code themselves. Nothing here ever holds an API key, secret,
signature, URL query string or request object: `endpoint` is "METHOD /path" only.

    LeaderctlError
    ├── ExchangeError                 the exchange (or the way to it) refused or failed
    │   ├── AccessDeniedError         the key, its permissions, the signature or the account: fix those
    │   ├── RejectedError             the request breaks an exchange rule, nothing written: fix the config
    │   │                             (also every undocumented code and a plain HTTP 4XX)
    │   ├── TransientError            the exchange had trouble (reads were retried): try again later
    │   │   └── ServerError           a read kept getting HTTP 5XX
    │   ├── RateLimitedError          HTTP 429 or -1003: wait `retry_after`, send less
    │   │   └── BannedError           HTTP 418 or "-1003 IP banned": stop everything (stops_run)
    │   ├── OutcomeUnknownError       a write may or may not have been applied: read back
    │   └── TransportError            no usable answer: the network, TLS, or not the Toobit API
    │       ├── TLSVerificationError  the certificate did not verify: never retried
    │       ├── EndpointNotFoundError HTTP 404: the exchange does not offer this endpoint
    │       ├── FirewallError         HTTP 403
    │       ├── UnexpectedResponseError an answer that is not the documented wrapper
    │       │   └── ResponseTooLargeError a body over the limit (after decompression)
    │       └── InsecureEndpointError plain http:// to a host that is not loopback
    ├── InterruptedRequest            Connection.interrupt()/abort(): not sent
    ├── WaitedBeforeSending           a write held back by the rate limit: not sent (read again)
    ├── ConnectionClosedError         the connection was closed (also a RuntimeError)
    └── UsageError
        └── ProxySettingError         a proxy variable leaderctl cannot use

The package imports nothing of the app: text the app knows better (the invite-code
format its spec defines) comes in as `ConnectionSettings.advice`, code -> advice.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import LeaderctlError, UsageError
from reconciler.redact import mask
from reconciler.text import controls_visible

_MAX_SERVER_MSG = 200
_OWN_CODE: Any = ...  # "use the class's code"
MAX_BAN_SECONDS = 3 * 24 * 3600  # the exchange bans for 2 minutes up to 3 days
TOO_MANY_REQUESTS = -1003  # the rate limit's code: RateLimitedError's own
API_KEY_FORMAT = -2014  # also what the client raises for a key it cannot even send
_RATE_LIMITED = ("the exchange rate limit was hit", "wait for a minute, then run again with a lower --parallelism")


def escape_controls(text: str) -> str:
    """Control and format characters (ESC, BEL, bidi overrides...) as visible escapes
    (`reconciler.text`), every known secret masked."""
    return controls_visible(mask(text))


def _one_line(text: object) -> str:
    """The exchange's own message: one short line, no terminal control characters, no secret."""
    line = escape_controls(" ".join(str(text).split()))
    return line if len(line) <= _MAX_SERVER_MSG else line[: _MAX_SERVER_MSG - 3] + "..."


def duration(seconds: float) -> str:
    """"45 s", "12 min", "3 h", "2 days": a wait a person can read."""
    seconds = max(0.0, min(float(seconds), MAX_BAN_SECONDS))
    if seconds < 600:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


class ExchangeError(LeaderctlError):
    """The exchange (or the way to it) refused or failed a request.

    The package never raises it bare: every error is one of the kinds below. A code's text comes
    from its row of `CODES` (`error_for_code`); a condition without a code (a ban, a
    404, a TLS failure) has its text on its class.
    """

    code: int | None = None
    meaning = "the exchange rejected the request"
    advice = "check the exchange's message; retry later if it looks temporary"
    # Whether the exchange's `msg` adds information the fixed meaning does not.
    show_server_msg = True
    already_done = False  # what the request asked for already holds (a follower already gone)
    pending = False  # refused only while open positions or lead orders last: possible once they close

    def __init__(
        self,
        code: int | None = _OWN_CODE,
        *,
        http_status: int | None = None,
        endpoint: str | None = None,
        server_msg: str | None = None,
        meaning: str | None = None,
        advice: str | None = None,
        kind: str | None = None,
        show_server_msg: bool | None = None,
    ):
        if code is not _OWN_CODE:
            self.code = code
        if show_server_msg is not None:
            self.show_server_msg = show_server_msg
        if meaning is not None:
            self.meaning = meaning
        if advice is not None:
            self.advice = advice
        self.http_status = http_status
        self.kind = kind  # what failed when there was no answer, e.g. "ReadTimeout"
        self.endpoint = endpoint
        self.server_msg = _one_line(server_msg) if server_msg else None
        super().__init__(self._render())

    @property
    def detail(self) -> str:
        """The message without the code label: for callers that print the code themselves."""
        said = f' ("{self.server_msg}")' if self.show_server_msg and self.server_msg else ""
        return f"{self.meaning}{said}: {self.advice}"

    def copy(self) -> ExchangeError:
        """A fresh instance of the same error (each thread raises its own)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.args = self.args
        return new

    @property
    def label(self) -> str:
        """The code as shown in messages: exchange code, else HTTP status, else failure kind."""
        if self.code is not None:
            return str(self.code)
        if self.http_status is not None:
            return f"HTTP {self.http_status}"
        return self.kind or ""

    def _render(self) -> str:
        tag = self.label
        if self.show_server_msg and self.server_msg:
            tag = f'{tag} "{self.server_msg}"'.strip()
        return f"{self.meaning} ({tag}): {self.advice}" if tag else f"{self.meaning}: {self.advice}"


class AccessDeniedError(ExchangeError):
    """The API key, its permissions, the signature or the account were refused: fix those
    (another leader's key may work; this one will not until it changes)."""

    meaning = "the exchange refused this API key"
    advice = "check the API key, its secret and its permissions"


class RejectedError(ExchangeError):
    """The exchange refused the request itself: nothing was written. Fix what it names
    (mostly the leader's config); resending the same request gets the same answer."""


class TransientError(ExchangeError):
    """The exchange had trouble answering; reads were already retried: try again later."""

    meaning = "the exchange could not answer just now"
    advice = "retry later; leaderctl already retried reads"


class RateLimitedError(ExchangeError):
    """HTTP 429 or code -1003: the IP broke the weight limit; more requests risk a ban."""

    code = TOO_MANY_REQUESTS
    meaning, advice = _RATE_LIMITED  # the -1003 row's text
    show_server_msg = False

    def __init__(self, code: int | None = _OWN_CODE, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        if retry_after is not None:
            kwargs.setdefault(
                "advice", f"wait {duration(retry_after)} before sending anything, then run again with a lower --parallelism")
        super().__init__(code, **kwargs)


class OutcomeUnknownError(ExchangeError):
    """A write was sent and then answered by 5XX, -1006/-1007, a timeout or a broken
    connection: it may or may not have been applied. Only ever raised for a write."""

    meaning = "the write got no clear answer"
    advice = "the write may or may not have been applied; read the state back"
    show_server_msg = False


class TransportError(ExchangeError):
    """No usable answer from the exchange: not reached (connection, TLS, timeout) after
    every retry, or what answered is not the Toobit API.

    For a write this is only raised when the request was never sent, so nothing was
    written; a write that may have been sent raises OutcomeUnknownError instead.
    """

    meaning = "could not reach the exchange"
    advice = "check the network, the endpoint URL and any proxy, then try again"
    show_server_msg = False


# --- the code table ----------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """One documented exchange code: what it means, what to do, how it is raised."""

    code: int
    kind: type[ExchangeError]  # the exception class raised for it
    meaning: str
    advice: str
    show_msg: bool = False  # the exchange's `msg` adds what the fixed meaning does not (e.g. which parameter)
    already_done: bool = False  # see ExchangeError.already_done
    pending: bool = False  # see ExchangeError.pending


_READ_AGAIN = "reads were retried; a write may or may not have been applied, so read the state back"

CODES: tuple[Code, ...] = (
    # common OpenAPI codes (docs/exchange-api.md §5)
    Code(-1000, TransientError, "the exchange reported an unknown error",
         "retry later; leaderctl already retried reads", show_msg=True),
    Code(-1001, TransientError, "the exchange had an internal error",
         "retry later; leaderctl already retried reads", show_msg=True),
    Code(-1002, AccessDeniedError, "the exchange did not authorize this request",
         "check that the API key exists, is enabled and belongs to a COPY_TRADING account"),
    Code(TOO_MANY_REQUESTS, RateLimitedError, *_RATE_LIMITED),
    Code(-1006, OutcomeUnknownError,
         "the exchange got an unexpected answer from its own backend, so the execution status is unknown",
         _READ_AGAIN, show_msg=True),
    Code(-1007, OutcomeUnknownError,
         "the exchange timed out waiting for its own backend, so the execution status is unknown", _READ_AGAIN),
    Code(-1021, AccessDeniedError, "the request timestamp was outside the exchange's recvWindow",
         "sync this machine's clock (NTP); leaderctl already re-read the server time and retried once"),
    Code(-1022, AccessDeniedError, "the signature was rejected", "check that the API secret matches the API key"),
    Code(-1102, RejectedError, "a mandatory parameter was missing or malformed",
         "check the leader's settings; if `leaderctl validate` accepts them, report a leaderctl bug", show_msg=True),
    Code(-1130, RejectedError, "the exchange rejected a parameter value for its range, precision or format",
         "fix the value the exchange names, within the leader's level limits and precision", show_msg=True),
    Code(API_KEY_FORMAT, AccessDeniedError, "the API key format is invalid",
         "check that the environment variable holds the whole API key, without spaces or quotes"),
    Code(-2015, AccessDeniedError, "the API key, its IP whitelist or its permissions were rejected",
         "check that the key is enabled, this machine's IP is whitelisted and the account type is COPY_TRADING"),
    # leader endpoint codes (docs/exchange-api.md §5)
    Code(-1020, AccessDeniedError, "this API key is read-only", "plan works, apply needs a key with write permission"),
    Code(-120041, AccessDeniedError, "this account is not an active copy-trading leader",
         "use the API key of an active leader's COPY_TRADING account, or activate lead trading first"),
    Code(-120047, AccessDeniedError, "the exchange has no leader for this API key",
         "check that the key belongs to the intended leader's copy-trading account"),
    Code(-120067, AccessDeniedError, "the exchange has no level configuration for this leader",
         "contact Toobit support: the leader's level is not set up, so no config can be saved"),
    Code(-120072, RejectedError,
         "the leader config breaks a business rule such as level limits, profit-sharing or referral rate",
         "check profit_sharing.rate, follower_minimums and referral_sharing.rate against this leader's level",
         show_msg=True),
    Code(-120073, RejectedError, "a private leader with a custom profit-sharing ratio cannot switch to public",
         "keep invite.required: true, or remove the custom profit-sharing ratio on the exchange first"),
    Code(-120078, RejectedError, "the cool-down window is invalid",
         "set cooldown.end (not 0) at or after cooldown.start, or disable the cool-down"),
    Code(-32090, RejectedError, "a trading pair with current lead orders cannot be disabled",
         "close those orders first or keep the pair in `symbols`", pending=True),
    Code(-32093, RejectedError, "the position type cannot be changed while current positions hold the other type",
         "close those positions first or keep position_type as it is", pending=True),
    Code(-120510, RejectedError, "the invite code is already used by another leader", "choose a different invite code"),
    Code(-120511, RejectedError, "the invite code contains sensitive words", "choose a different invite code"),
    Code(-120512, RejectedError, "the invite code format is invalid",
         "fix the invite code's format (`leaderctl validate` names the rule)"),
    Code(-32045, RejectedError, "this user does not follow the leader",
         "nothing to do: the follower is already gone", already_done=True),
    Code(-120055, RejectedError, "the follower has open copy positions and cannot be removed",
         "retry after the follower's copy positions are closed", pending=True),
)

CODE: dict[int, Code] = {c.code: c for c in CODES}

def error_for_code(code: int | None, *, advice_for: Mapping[int, str] | None = None,
                   as_kind: type[ExchangeError] | None = None, **kwargs) -> ExchangeError:
    """The error for an exchange code, from its row: its kind (or `as_kind`), meaning, advice.

    `advice_for` is the caller's better advice by code (ConnectionSettings.advice); an
    undocumented code is a RejectedError carrying the code and the exchange's message.
    """
    row = CODE.get(code) if code is not None else None
    if row is None:
        return (as_kind or RejectedError)(code, **kwargs)
    kwargs.setdefault("meaning", row.meaning)
    kwargs.setdefault("advice", (advice_for or {}).get(code) or row.advice)
    kwargs.setdefault("show_server_msg", row.show_msg)
    error = (as_kind or row.kind)(code, **kwargs)
    error.already_done, error.pending = row.already_done, row.pending
    return error


# --- HTTP and transport level -----------------------------------------------------


class EndpointNotFoundError(TransportError):
    """HTTP 404: this exchange (or the URL in --endpoint) does not offer the endpoint."""

    advice = "check that --endpoint is the Toobit API base URL (https://api.toobit.com) and that the API offers it"
    show_server_msg = False  # "Not Found" / "unknown": the status says it

    def __init__(self, *, endpoint: str | None = None, **kwargs):
        kwargs.setdefault("meaning", f"this exchange does not offer {endpoint or 'this endpoint'}")
        kwargs.setdefault("http_status", 404)
        super().__init__(None, endpoint=endpoint, **kwargs)


class BannedError(RateLimitedError):
    """HTTP 418, or -1003 saying the IP is banned: nothing more may be sent."""

    meaning = "this IP is banned by the exchange for breaking its rate limit"
    show_server_msg = False
    stops_run = True

    def __init__(self, code: int | None = None, *, retry_after: float | None = None, **kwargs):
        if retry_after is not None:
            retry_after = max(0.0, min(float(retry_after), MAX_BAN_SECONDS))
        self.retry_after = retry_after
        wait = duration(retry_after) if retry_after is not None else "the ban time (2 minutes up to 3 days)"
        kwargs.setdefault("advice", f"stop everything and wait {wait} before sending any request from this IP")
        kwargs.setdefault("http_status", 418 if code is None else None)
        super().__init__(code, retry_after=retry_after, **kwargs)


class FirewallError(TransportError):
    """HTTP 403: the exchange's web application firewall refused the request."""

    meaning = "the exchange's web application firewall blocked the request"
    advice = "check this machine's IP and network (VPN, proxy); wait before trying again"
    show_server_msg = False

    def __init__(self, **kwargs):
        kwargs.setdefault("http_status", 403)
        super().__init__(None, **kwargs)


class ServerError(TransientError):
    """A read kept getting HTTP 5XX after every retry."""

    meaning = "the exchange kept failing with a server error"
    advice = "the exchange is having trouble; try again later"
    show_server_msg = False


class TLSVerificationError(TransportError):
    """The exchange's certificate did not verify: a network problem or an attack, never retried."""

    meaning = "TLS certificate verification failed"
    advice = (
        "check the endpoint's host name, the system clock and any intercepting proxy; "
        "SSL_CERT_FILE can name a CA bundle (verification is never turned off)"
    )

    def __init__(self, *, host: str = "", reason: str = "", **kwargs):
        self.host = host
        reason = escape_controls(" ".join(str(reason).split()))[:200]
        kwargs.setdefault("meaning", f"TLS certificate verification failed for {host}: {reason or 'not trusted'}")
        kwargs.setdefault("kind", "TLS")
        super().__init__(None, **kwargs)


class UnexpectedResponseError(TransportError):
    """A 2XX answer that is not the documented `{code, msg, data}` wrapper."""

    meaning = "the exchange sent an answer leaderctl does not understand"
    advice = "check that the endpoint URL points at the Toobit API (not a proxy or login page)"
    show_server_msg = False


class ResponseTooLargeError(UnexpectedResponseError):
    """A body over the size limit (counted after decompression): refused unread."""

    meaning = "the exchange's answer was too large to read"
    advice = "check that the endpoint URL points at the Toobit API; leaderctl reads at most 16 MiB per answer"


class InsecureEndpointError(TransportError):
    """Signed requests over plain http would expose keys and signatures on the wire."""

    meaning = "refusing plain http:// to a host that is not loopback"
    advice = "use an https:// endpoint (plain http:// is only allowed to 127.0.0.1, ::1 or localhost)"
    show_server_msg = False


class InterruptedRequest(LeaderctlError):
    """Connection.interrupt()/abort() was called: this request was not sent (or, a read, cancelled).

    Never raised for a write that may have reached the exchange: such a write is
    left to finish (response or timeout) and reports its own outcome.
    """

    stops_run = True

    def __init__(self, endpoint: str | None = None):
        self.endpoint = endpoint
        what = f"{endpoint} was not sent" if endpoint else "no request was sent"
        super().__init__(f"interrupted: {what}")


class WaitedBeforeSending(LeaderctlError):
    """A write built from a fresh read was held back by the rate limit (the weight budget,
    or a 429 that was not processed) for longer than its read may age: it was not sent,
    so that the caller reads again and builds it anew (docs/contract.md §9, fresh reads)."""

    def __init__(self, endpoint: str | None = None, seconds: float = 0.0):
        self.endpoint = endpoint
        self.seconds = seconds
        super().__init__(f"{endpoint or 'the write'} was not sent: the rate limit held it back {seconds:.1f} s after its read")


class ConnectionClosedError(LeaderctlError, RuntimeError):
    """The exchange connection was closed; a programming error if it happens mid-run."""

    def __init__(self) -> None:
        super().__init__("the exchange connection is closed")


class ProxySettingError(UsageError):
    """A proxy environment variable leaderctl cannot use (named, never echoed: it may hold a password)."""


__all__ = [
    "CODES",
    "CODE",
    "Code",
    "error_for_code",
    "ExchangeError",
    "AccessDeniedError",
    "RejectedError",
    "TransientError",
    "ServerError",
    "RateLimitedError",
    "BannedError",
    "OutcomeUnknownError",
    "TransportError",
    "TLSVerificationError",
    "EndpointNotFoundError",
    "FirewallError",
    "UnexpectedResponseError",
    "ResponseTooLargeError",
    "InsecureEndpointError",
    "InterruptedRequest",
    "WaitedBeforeSending",
    "ConnectionClosedError",
    "ProxySettingError",
]
