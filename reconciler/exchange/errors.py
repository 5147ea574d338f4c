"""Typed exchange errors: one class per documented code, each saying what to do.

`str(err)` is one line, "<what happened> (<code>): <what to do>", written for the
person at the terminal; `err.detail` is the same without the "(<code>)" label, for
callers that show the code themselves. Nothing here ever holds an API key, secret,
signature, URL query string or request object: `endpoint` is "METHOD /path" only.

    LeaderctlError
    ├── ExchangeError                 the exchange (or the way to it) refused or failed
    │   ├── <one class per documented code>   UnknownError (-1000) ... FollowerHasPositionError
    │   ├── EndpointNotFoundError     HTTP 404: the exchange does not offer this endpoint
    │   ├── BannedError               HTTP 418 or "-1003 IP banned": stop everything
    │   ├── FirewallError             HTTP 403
    │   ├── ServerError               a read kept getting HTTP 5XX
    │   ├── TransportError            no answer (connection, timeout) after every retry
    │   │   └── TLSVerificationError  the certificate did not verify: never retried
    │   ├── OutcomeUnknownError       a write may or may not have been applied: read back
    │   ├── UnexpectedResponseError   an answer that is not the documented wrapper
    │   │   └── ResponseTooLargeError a body over the limit (after decompression)
    │   └── InsecureEndpointError     plain http:// to a host that is not loopback
    ├── InterruptedRequest            Connection.interrupt()/abort(): not sent
    ├── WaitedBeforeSending           a write held back by the rate limit: not sent (read again)
    ├── ConnectionClosedError         the connection was closed (also a RuntimeError)
    └── UsageError
        └── ProxySettingError         a proxy variable leaderctl cannot use
"""
from __future__ import annotations

from typing import Any

from reconciler.spec import INVITE_CODE
from reconciler.errors import LeaderctlError, UsageError
from reconciler.redact import mask
from reconciler.render.escape import controls_visible

_MAX_SERVER_MSG = 200
_OWN_CODE: Any = ...  # "use the class's documented code"
MAX_BAN_SECONDS = 3 * 24 * 3600  # the exchange bans for 2 minutes up to 3 days


def escape_controls(text: str) -> str:
    """Control and format characters (ESC, BEL, bidi overrides...) as visible escapes
    (`render.escape` knows how), every known secret masked."""
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

    Subclasses set `code`, `meaning` and `advice`; an unknown code gets this class,
    carrying the code and the exchange's own message.
    """

    code: int | None = None
    meaning = "the exchange rejected the request"
    advice = "check the exchange's message; retry later if it looks temporary"
    # Whether the exchange's `msg` adds information the fixed meaning does not.
    show_server_msg = True

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
    ):
        if code is not _OWN_CODE:
            self.code = code
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


# code -> class, filled by @_documented
ERRORS: dict[int, type[ExchangeError]] = {}


def _documented(cls: type[ExchangeError]) -> type[ExchangeError]:
    assert cls.code is not None and cls.code not in ERRORS, cls
    ERRORS[cls.code] = cls
    return cls


def error_for_code(code: int | None, **kwargs) -> ExchangeError:
    """The typed error for an exchange code; a generic ExchangeError if undocumented."""
    cls = ERRORS.get(code) if code is not None else None
    return cls(**kwargs) if cls else ExchangeError(code, **kwargs)


# --- common OpenAPI codes (NOTES.md §3) -----------------------------------------


@_documented
class UnknownError(ExchangeError):
    code = -1000
    meaning = "the exchange reported an unknown error"
    advice = "retry later; leaderctl already retried reads"


@_documented
class InternalError(ExchangeError):
    code = -1001
    meaning = "the exchange had an internal error"
    advice = "retry later; leaderctl already retried reads"


@_documented
class UnauthorizedError(ExchangeError):
    code = -1002
    meaning = "the exchange did not authorize this request"
    advice = "check that the API key exists, is enabled and belongs to a COPY_TRADING account"
    show_server_msg = False


@_documented
class UnexpectedBackendResponseError(ExchangeError):
    """-1006 UNEXPECTED_RESP: the exchange's own message bus answered oddly; status unknown."""

    code = -1006
    meaning = "the exchange got an unexpected answer from its own backend, so the execution status is unknown"
    advice = "reads were retried; a write may or may not have been applied, so read the state back"


@_documented
class BackendTimeoutError(ExchangeError):
    """-1007 TIMEOUT: the exchange's backend did not answer in time; status unknown."""

    code = -1007
    meaning = "the exchange timed out waiting for its own backend, so the execution status is unknown"
    advice = "reads were retried; a write may or may not have been applied, so read the state back"
    show_server_msg = False


@_documented
class RateLimitedError(ExchangeError):
    """HTTP 429 or code -1003: the IP broke the weight limit; more requests risk a ban."""

    code = -1003
    meaning = "the exchange rate limit was hit"
    advice = "wait for a minute, then run again with a lower --parallelism"
    show_server_msg = False

    def __init__(self, code: int | None = _OWN_CODE, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        if retry_after is not None and "advice" not in kwargs:
            kwargs["advice"] = (
                f"wait {duration(retry_after)} before sending anything, then run again with a lower --parallelism"
            )
        super().__init__(code, **kwargs)


@_documented
class TimestampError(ExchangeError):
    code = -1021
    meaning = "the request timestamp was outside the exchange's recvWindow"
    advice = "sync this machine's clock (NTP); leaderctl already re-read the server time and retried once"
    show_server_msg = False


@_documented
class SignatureError(ExchangeError):
    code = -1022
    meaning = "the signature was rejected"
    advice = "check that the API secret matches the API key"
    show_server_msg = False


@_documented
class MissingParameterError(ExchangeError):
    code = -1102
    meaning = "a mandatory parameter was missing or malformed"
    advice = "check the leader's settings; if `leaderctl validate` accepts them, report a leaderctl bug"


@_documented
class InvalidParameterError(ExchangeError):
    code = -1130
    meaning = "the exchange rejected a parameter value for its range, precision or format"
    advice = "fix the value the exchange names, within the leader's level limits and precision"


@_documented
class ApiKeyFormatError(ExchangeError):
    code = -2014
    meaning = "the API key format is invalid"
    advice = "check that the environment variable holds the whole API key, without spaces or quotes"
    show_server_msg = False


@_documented
class ApiKeyRejectedError(ExchangeError):
    code = -2015
    meaning = "the API key, its IP whitelist or its permissions were rejected"
    advice = "check that the key is enabled, this machine's IP is whitelisted and the account type is COPY_TRADING"
    show_server_msg = False


# --- leader endpoint codes (leader-endpoints.txt) -------------------------------


@_documented
class ReadOnlyKeyError(ExchangeError):
    code = -1020
    meaning = "this API key is read-only"
    advice = "plan works, apply needs a key with write permission"
    show_server_msg = False


@_documented
class NotLeaderError(ExchangeError):
    code = -120041
    meaning = "this account is not an active copy-trading leader"
    advice = "use the API key of an active leader's COPY_TRADING account, or activate lead trading first"
    show_server_msg = False


@_documented
class LeaderNotFoundError(ExchangeError):
    code = -120047
    meaning = "the exchange has no leader for this API key"
    advice = "check that the key belongs to the intended leader's copy-trading account"
    show_server_msg = False


@_documented
class LevelConfigNotFoundError(ExchangeError):
    code = -120067
    meaning = "the exchange has no level configuration for this leader"
    advice = "contact Toobit support: the leader's level is not set up, so no config can be saved"
    show_server_msg = False


@_documented
class InvalidLeaderConfigError(ExchangeError):
    code = -120072
    meaning = "the leader config breaks a business rule such as level limits, profit-sharing or referral rate"
    advice = "check profit_sharing.rate, follower_minimums and referral_sharing.rate against this leader's level"


@_documented
class InviteSwitchError(ExchangeError):
    code = -120073
    meaning = "a private leader with a custom profit-sharing ratio cannot switch to public"
    advice = "keep invite.required: true, or remove the custom profit-sharing ratio on the exchange first"
    show_server_msg = False


@_documented
class CooldownWindowError(ExchangeError):
    code = -120078
    meaning = "the cool-down window is invalid"
    advice = "set cooldown.end (not 0) at or after cooldown.start, or disable the cool-down"
    show_server_msg = False


@_documented
class SymbolChangeError(ExchangeError):
    code = -32090
    meaning = "a trading pair with current lead orders cannot be disabled"
    advice = "close those orders first or keep the pair in `symbols`"
    show_server_msg = False


@_documented
class PositionTypeChangeError(ExchangeError):
    code = -32093
    meaning = "the position type cannot be changed while current positions hold the other type"
    advice = "close those positions first or keep position_type as it is"
    show_server_msg = False


@_documented
class InviteCodeTakenError(ExchangeError):
    code = -120510
    meaning = "the invite code is already used by another leader"
    advice = "choose a different invite code"
    show_server_msg = False


@_documented
class InviteCodeSensitiveError(ExchangeError):
    code = -120511
    meaning = "the invite code contains sensitive words"
    advice = "choose a different invite code"
    show_server_msg = False


@_documented
class InviteCodeInvalidError(ExchangeError):
    code = -120512
    meaning = "the invite code format is invalid"
    advice = f"use {INVITE_CODE.rule_text()}"
    show_server_msg = False


@_documented
class FollowerNotFoundError(ExchangeError):
    code = -32045
    meaning = "this user does not follow the leader"
    advice = "nothing to do: the follower is already gone"
    show_server_msg = False


@_documented
class FollowerHasPositionError(ExchangeError):
    code = -120055
    meaning = "the follower has open copy positions and cannot be removed"
    advice = "retry after the follower's copy positions are closed"
    show_server_msg = False


# --- HTTP and transport level -----------------------------------------------------


class EndpointNotFoundError(ExchangeError):
    """HTTP 404: this exchange (or the URL in --endpoint) does not offer the endpoint."""

    advice = "check that --endpoint is the Toobit API base URL (https://api.toobit.com) and that the API offers it"
    show_server_msg = False  # "Not Found" / "unknown": the status says it

    def __init__(self, *, endpoint: str | None = None, **kwargs):
        kwargs.setdefault("meaning", f"this exchange does not offer {endpoint or 'this endpoint'}")
        kwargs.setdefault("http_status", 404)
        super().__init__(None, endpoint=endpoint, **kwargs)


class BannedError(ExchangeError):
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
        super().__init__(code, **kwargs)


class FirewallError(ExchangeError):
    """HTTP 403: the exchange's web application firewall refused the request."""

    meaning = "the exchange's web application firewall blocked the request"
    advice = "check this machine's IP and network (VPN, proxy); wait before trying again"
    show_server_msg = False

    def __init__(self, **kwargs):
        kwargs.setdefault("http_status", 403)
        super().__init__(None, **kwargs)


class ServerError(ExchangeError):
    """A read kept getting HTTP 5XX after every retry."""

    meaning = "the exchange kept failing with a server error"
    advice = "the exchange is having trouble; try again later"
    show_server_msg = False


class TransportError(ExchangeError):
    """The exchange could not be reached (connection, TLS, timeout) after every retry.

    For a write this is only raised when the request was never sent, so nothing was
    written; a write that may have been sent raises OutcomeUnknownError instead.
    """

    meaning = "could not reach the exchange"
    advice = "check the network, the endpoint URL and any proxy, then try again"
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


class OutcomeUnknownError(ExchangeError):
    """A write was sent and then answered by 5XX, a timeout or a broken connection."""

    meaning = "the write got no clear answer"
    advice = "the write may or may not have been applied; read the state back"
    show_server_msg = False


class UnexpectedResponseError(ExchangeError):
    """A 2XX answer that is not the documented `{code, msg, data}` wrapper."""

    meaning = "the exchange sent an answer leaderctl does not understand"
    advice = "check that the endpoint URL points at the Toobit API (not a proxy or login page)"
    show_server_msg = False


class ResponseTooLargeError(UnexpectedResponseError):
    """A body over the size limit (counted after decompression): refused unread."""

    meaning = "the exchange's answer was too large to read"
    advice = "check that the endpoint URL points at the Toobit API; leaderctl reads at most 16 MiB per answer"


class InsecureEndpointError(ExchangeError):
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
    so that the caller reads again and builds it anew (CONTRACT §9, fresh reads)."""

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
    "ERRORS",
    "error_for_code",
    "ExchangeError",
    "UnknownError",
    "InternalError",
    "UnexpectedBackendResponseError",
    "BackendTimeoutError",
    "UnauthorizedError",
    "RateLimitedError",
    "TimestampError",
    "SignatureError",
    "MissingParameterError",
    "InvalidParameterError",
    "ApiKeyFormatError",
    "ApiKeyRejectedError",
    "ReadOnlyKeyError",
    "NotLeaderError",
    "LeaderNotFoundError",
    "LevelConfigNotFoundError",
    "InvalidLeaderConfigError",
    "InviteSwitchError",
    "CooldownWindowError",
    "SymbolChangeError",
    "PositionTypeChangeError",
    "InviteCodeTakenError",
    "InviteCodeSensitiveError",
    "InviteCodeInvalidError",
    "FollowerNotFoundError",
    "FollowerHasPositionError",
    "EndpointNotFoundError",
    "BannedError",
    "FirewallError",
    "ServerError",
    "TransportError",
    "TLSVerificationError",
    "OutcomeUnknownError",
    "UnexpectedResponseError",
    "ResponseTooLargeError",
    "InsecureEndpointError",
    "InterruptedRequest",
    "WaitedBeforeSending",
    "ConnectionClosedError",
    "ProxySettingError",
]
