"""classify() as a table: (read or write, HTTP status, payload, headers) -> decision kind and error class."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest

from reconciler.errors import LeaderctlError
from reconciler.exchange import (
    AccessDeniedError,
    BannedError,
    ConnectionClosedError,
    EndpointNotFoundError,
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
)
from reconciler.exchange.classify import Call, Kind, NoAnswer, Why, classify, retry_after

CONFIG = "/api/v2/copy-trading/leader/config"
READ = Call("GET", CONFIG)
WRITE = Call("PUT", CONFIG)
DELETE = Call("DELETE", "/api/v2/copy-trading/leader/followers/7")
TIME = Call("GET", "/api/v1/time", signed=False)
NOW = 1_717_200_000.0


def w(code, msg="m", data=None):
    return {"code": code, "msg": msg, "data": data}


R, U, D, E, H, W, S = Kind.RETRY, Kind.UNKNOWN, Kind.DONE, Kind.ERROR, Kind.HALT, Kind.WAIT, Kind.RESYNC

TABLE = [
    # call, status, payload, headers, kind, error class (or, for a code: its kind and the code)
    (READ, 200, w(200, data={"a": 1}), {}, D, None),
    (WRITE, 200, w(200), {}, D, None),
    (WRITE, 200, w("200"), {}, D, None),
    (READ, 200, w(Decimal("200.0")), {}, D, None),
    (TIME, 200, {"serverTime": 1}, {}, D, None),
    # ban and rate limits
    (READ, 418, None, {"Retry-After": "120"}, H, BannedError),
    (WRITE, 418, w(-1003), {}, H, BannedError),
    (READ, 429, None, {"Retry-After": "2"}, W, RateLimitedError),
    (WRITE, 429, w(-1003, "Too many requests"), {}, W, RateLimitedError),
    (READ, 200, w(-1003, "Too many requests; current limit is 1200"), {}, W, RateLimitedError),
    (READ, 200, w(-1003, "Way too many requests; IP banned until 1717200120000."), {}, H, BannedError),
    (WRITE, 429, w(-1003, "IP(1.2.3.4) banned"), {}, H, BannedError),
    (READ, 429, None, {"Retry-After": "3600"}, H, RateLimitedError),
    # server errors: reads retry, writes are unknown
    (READ, 500, None, {}, R, ServerError),
    (READ, 503, w(-1001), {}, R, ServerError),
    (WRITE, 500, None, {}, U, OutcomeUnknownError),
    (WRITE, 502, w(-1130), {}, U, OutcomeUnknownError),
    (DELETE, 504, b"", {}, U, OutcomeUnknownError),
    (WRITE, 599, w(-1003), {}, U, OutcomeUnknownError),
    # transient and "execution status unknown" codes
    (READ, 200, w(-1000), {}, R, (TransientError, -1000)),
    (WRITE, 200, w(-1000), {}, U, OutcomeUnknownError),
    (WRITE, 400, w(-1000), {}, E, (TransientError, -1000)),  # a 4XX is a rejection
    (READ, 200, w(-1006), {}, R, (TransientError, -1006)),
    (READ, 400, w(-1007), {}, R, (TransientError, -1007)),
    (WRITE, 200, w(-1006), {}, U, OutcomeUnknownError),
    (WRITE, 400, w(-1007), {}, U, OutcomeUnknownError),
    (DELETE, 200, w("-1007"), {}, U, OutcomeUnknownError),
    # clock
    (READ, 400, w(-1021), {}, S, (AccessDeniedError, -1021)),
    (WRITE, 200, w(-1021), {}, S, (AccessDeniedError, -1021)),
    (TIME, 200, w(-1021), {}, E, (AccessDeniedError, -1021)),  # the clock read itself: never resync (it would recurse)
    # definite answers
    (READ, 400, w(-1022), {}, E, (AccessDeniedError, -1022)),
    (WRITE, 200, w(-1130, "Data sent for paramter 'x' is not valid."), {}, E, (RejectedError, -1130)),
    (WRITE, 200, w(-99999, "odd"), {}, E, (RejectedError, -99999)),
    (READ, 403, b"<html>", {}, E, FirewallError),
    (WRITE, 403, None, {}, E, FirewallError),
    (READ, 404, None, {}, E, EndpointNotFoundError),
    (READ, 404, w(-1000, "unknown"), {}, E, EndpointNotFoundError),
    (WRITE, 404, None, {}, E, EndpointNotFoundError),
    (READ, 404, w(-1130), {}, E, (RejectedError, -1130)),  # a documented code says more than the status
    # answers that are not the wrapper
    (READ, 200, None, {}, E, UnexpectedResponseError),
    (READ, 200, {"data": 1}, {}, E, UnexpectedResponseError),
    (READ, 200, w(True), {}, E, UnexpectedResponseError),
    (READ, 200, w(Decimal("NaN")), {}, E, UnexpectedResponseError),
    (READ, 200, w(Decimal("Infinity")), {}, E, UnexpectedResponseError),
    (READ, 200, w(200.5), {}, E, UnexpectedResponseError),
    (READ, 200, [1, 2], {}, E, UnexpectedResponseError),
    (READ, 301, None, {"Location": "https://evil.example/"}, E, UnexpectedResponseError),
    (READ, 400, None, {}, E, RejectedError),
    (WRITE, 200, None, {}, U, OutcomeUnknownError),  # malformed 2XX on a write: it may have been applied
    (WRITE, 201, {"ok": True}, {}, U, OutcomeUnknownError),
    (WRITE, 301, None, {}, U, OutcomeUnknownError),
    (WRITE, 400, None, {}, E, RejectedError),
    (WRITE, 400, w(200), {}, U, OutcomeUnknownError),  # "success" with an error status: unknown
    (READ, 400, w(200), {}, E, UnexpectedResponseError),
]


@pytest.mark.parametrize("call, status, payload, headers, kind, error", TABLE,
                         ids=[f"{c.method}-{s}-{p!r:.40}" for c, s, p, *_ in TABLE])
def test_classify_table(call, status, payload, headers, kind, error):
    decision = classify(call, status, payload, headers, now=NOW)
    assert decision.kind is kind
    if error is None:
        assert decision.error is None
    else:
        error, code = error if isinstance(error, tuple) else (error, None)
        assert type(decision.error) is error
        assert isinstance(decision.error, LeaderctlError)
        if code is not None:
            assert decision.error.code == code


NO_ANSWER = [
    (READ, NoAnswer(Why.TIMEOUT, sent=True, kind="ReadTimeout"), R, TransportError),
    (WRITE, NoAnswer(Why.TIMEOUT, sent=True, kind="ReadTimeout"), U, OutcomeUnknownError),
    (READ, NoAnswer(Why.NETWORK, sent=False, kind="ConnectError"), R, TransportError),
    (WRITE, NoAnswer(Why.NETWORK, sent=False, kind="ConnectError"), R, TransportError),  # never left: resend
    (WRITE, NoAnswer(Why.NETWORK, sent=True, kind="RemoteProtocolError"), U, OutcomeUnknownError),
    (READ, NoAnswer(Why.TLS, sent=False, kind="TLS", detail="h.example: self-signed certificate"),
     E, TLSVerificationError),
    (WRITE, NoAnswer(Why.TLS, sent=False, kind="TLS", detail="h.example: expired"), E, TLSVerificationError),
    (READ, NoAnswer(Why.TOO_LARGE, sent=True), E, ResponseTooLargeError),
    (WRITE, NoAnswer(Why.TOO_LARGE, sent=True), U, OutcomeUnknownError),
    (READ, NoAnswer(Why.ENCODING, sent=True, detail="unsupported Content-Encoding 'br'"), E, UnexpectedResponseError),
    (WRITE, NoAnswer(Why.ENCODING, sent=True), U, OutcomeUnknownError),
    (READ, NoAnswer(Why.UNUSABLE, sent=False, kind="LocalProtocolError"), E, TransportError),
    (READ, NoAnswer(Why.INTERRUPTED, sent=True), E, InterruptedRequest),
    (READ, NoAnswer(Why.CLOSED, sent=False), E, ConnectionClosedError),
]


@pytest.mark.parametrize("call, failure, kind, error", NO_ANSWER,
                         ids=[f"{c.method}-{f.why}-{f.sent}" for c, f, *_ in NO_ANSWER])
def test_classify_without_an_answer(call, failure, kind, error):
    decision = classify(call, None, failure)
    assert decision.kind is kind and type(decision.error) is error


def test_tls_failure_names_the_host_and_the_reason():
    error = classify(READ, None, NoAnswer(Why.TLS, sent=False, detail="api.toobit.com: self-signed certificate")).error
    assert str(error).startswith("TLS certificate verification failed for api.toobit.com: self-signed certificate")


def test_404_names_the_endpoint():
    error = classify(READ, 404, w(-1000, "unknown"), {}).error
    assert error.detail.startswith(f"this exchange does not offer GET {CONFIG}: ")
    assert error.http_status == 404


def test_a_ban_by_message_reads_the_time_it_ends():
    decision = classify(READ, 418 - 218, w(-1003, "IP banned until 1717200120000"), {}, now=NOW)
    assert decision.kind is Kind.HALT and decision.error.code == -1003
    assert decision.error.retry_after == pytest.approx(120)


@pytest.mark.parametrize("raw, expected", [
    ("2", 2.0), ("0", 0.0), ("0.5", 0.5),
    ("inf", None), ("nan", None), ("-1", None), ("-inf", None), ("1e400", None), ("garbage", None), ("", None),
    ("99999999999999", 3 * 86400.0),  # capped at the longest ban
    ("Sat, 01 Jun 2024 00:02:00 GMT", 120.0),  # NOW is 2024-06-01T00:00:00Z
    ("Sat, 01 Jun 2024 00:00:00 GMT", 0.0),
    ("Fri, 31 Dec 9999 23:59:59 GMT", 3 * 86400.0),
    ("Mon, 99 Foo 2024", None),
])
def test_retry_after_is_bounded_and_sane(raw, expected):
    assert retry_after({"Retry-After": raw}, NOW) == expected


@pytest.mark.parametrize("raw", ["inf", "nan", "-5", "1e999", "\x1b[31mred", "99999999999999999999"])
def test_hostile_retry_after_never_says_wait_inf(raw):
    for status, call in ((429, READ), (418, READ), (429, WRITE)):
        decision = classify(call, status, None, {"Retry-After": raw}, now=NOW)
        text = str(decision.error)
        assert "inf" not in text and "nan" not in text and "\x1b" not in text
        seconds = getattr(decision.error, "retry_after", None)
        assert seconds is None or (math.isfinite(seconds) and 0 <= seconds <= 3 * 86400)
        assert decision.seconds is None or 0 <= decision.seconds <= 300


def test_exchange_text_is_redacted_and_escaped():
    call = Call("PUT", CONFIG, secrets=("KEYKEYKEY", "SECRETSECRET", "INVITE26"))
    msg = "bad \x1b[2J\x1b]0;pwned\x07 KEYKEYKEY INVITE26 " + "ab" * 32 + " \u202e"
    error = classify(call, 200, w(-1130, msg)).error
    text = str(error) + error.detail + repr(error.server_msg)
    for secret in ("KEYKEYKEY", "SECRETSECRET", "INVITE26", "ab" * 32):
        assert secret not in text
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in error.server_msg and "\\u202e" in error.server_msg


def test_a_secret_at_the_cut_is_still_redacted():
    call = Call("PUT", CONFIG, secrets=("SECRETSECRET",))
    error = classify(call, 200, w(-1130, " " * 5000 + "SECRETSECRET")).error
    assert "SECRET" not in str(error)
