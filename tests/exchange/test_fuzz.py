"""Fuzzing the client's answer handling (hypothesis): the pure classify(), and every
LeaderClient method over real HTTP against a server that answers what hypothesis draws.

Properties: nothing but the package's typed errors (LeaderctlError) ever escapes; a
write answered by a 5XX, -1006/-1007 or a malformed 2XX is never a plain rejection
(it is OutcomeUnknownError, so the caller reads back); no secret, control character
or "wait inf" reaches a message.
"""
from __future__ import annotations

import gzip
import itertools
import json
import math
import zlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange_httpkit import Answer, Server
from reconciler.errors import LeaderctlError
from reconciler.exchange import (
    BannedError,
    Connection,
    ExchangeError,
    OutcomeUnknownError,
    RetryPolicy,
)
from reconciler.exchange.classify import Call, Kind, classify, response_code

KEY, SECRET, INVITE = "kEy0123456789abcdefKEYKEY", "sEcReT0123456789abcdefSECRET", "INVITE2026"
CONFIG = "/api/v2/copy-trading/leader/config"

CODES = [200, "200", 200.0, -1000, -1001, -1003, -1006, -1007, -1021, -1022, -1130, -32045, -120055,
         -99999, 0, 404, None, True, "x", 1.5, "-1006", 10**20]
STATUSES = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 405, 418, 429, 500, 502, 503, 504]) | st.integers(200, 599)
RETRY_AFTER = st.sampled_from(["0", "1", "inf", "nan", "-1", "1e999", "99999999999999999999", "garbage", "",
                               "Sat, 01 Jun 2024 00:02:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "0.0001"])
MESSAGES = st.sampled_from(["success", "IP banned until 1717200120000", "Way too many requests; IP banned",
                            f"echo {KEY} {INVITE}", "\x1b[2J\x1b]0;pwned\x07", "a" * 64, "Too many requests"])
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12))
json_any = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                        max_leaves=12)
CONFIG_DATA = st.fixed_dictionaries({}, optional={
    "profitRate": st.sampled_from(["0.1", 0.1, "NaN", None, [1]]),
    "symbolIds": st.sampled_from([["BTC-SWAP-USDT"], "BTC-SWAP-USDT", [], None, [1]]),
    "unLeadEndTime": st.sampled_from(["1717286400000", 1717286400000, "x", -1]),
})
PAGE = st.fixed_dictionaries({}, optional={
    "pages": st.sampled_from(["3", 3, "x", -1, 1.5, None, "99999999999999"]),
    "total": st.sampled_from(["21", 21, None, "y"]),
    "list": st.sampled_from([[{"a": 1}], [], "abc", [1], None, [{"a": 1}] * 3]),
})
data = json_any | CONFIG_DATA | PAGE | st.lists(st.dictionaries(st.text(max_size=5), scalars, max_size=3), max_size=3)
wrapper = st.fixed_dictionaries({"code": st.sampled_from(CODES) | json_any},
                                optional={"msg": MESSAGES | json_any, "data": data})


def dumps(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


body_bytes = st.one_of(
    wrapper.map(dumps), wrapper.map(dumps), json_any.map(dumps), st.binary(max_size=40),
    st.sampled_from([b"", b"NaN", b'{"code": Infinity}', b'{"code": 200, "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                     b"[" * 100_000, b"<html>login</html>", b'{"code":200,"msg":"success","data":null}']),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xff, blacklist_characters="\x7f"),
                      max_size=20)
ENCODINGS = st.sampled_from([None, "gzip", "deflate", "br", "identity", "gzip, gzip", "x", "GZIP"])


@st.composite
def answers(draw):
    status = draw(STATUSES)
    body = draw(body_bytes)
    headers = {}
    if draw(st.booleans()):
        headers["Retry-After"] = draw(RETRY_AFTER)
    encoding = draw(ENCODINGS)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if draw(st.booleans()) and encoding.lower() in ("gzip", "deflate"):
            body = gzip.compress(body) if encoding.lower() == "gzip" else zlib.compress(body)
    if draw(st.booleans()):
        headers["X-Extra"] = draw(header_text)
    return status, body, headers


def decode(body: bytes, encoding: str | None):
    """What the client sees: the decoded body, or "unreadable" when it cannot be decoded."""
    encoding = (encoding or "").lower()
    try:
        if not body and encoding in ("gzip", "deflate"):
            pass  # nothing to inflate
        elif encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = inflate(body)
        elif encoding not in ("", "identity"):
            return "unreadable"
    except (OSError, zlib.error, EOFError):
        return "unreadable"
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError):
        return None


def inflate(body: bytes) -> bytes:
    """HTTP deflate: zlib-wrapped, or raw deflate as some servers send it; the stream must end."""
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        z = zlib.decompressobj(wbits)
        try:
            out = z.decompress(body)
        except zlib.error:
            continue
        if z.eof:
            return out
        raise zlib.error("truncated")
    raise zlib.error("not deflate")


def must_be_unknown(status: int, payload) -> bool:
    """A write whose answer leaves its outcome open: 5XX, -1006/-1007, a malformed 2XX."""
    if status in (418, 429):
        return False  # banned / rate limited: not processed, whatever the body
    code = None if payload == "unreadable" else response_code(payload)
    if status >= 500 or code in (-1006, -1007) or payload == "unreadable":
        return True
    return 200 <= status < 300 and code is None


def check_message(error: BaseException, secrets=(KEY, SECRET, INVITE)) -> None:
    """No secret the call knew of (the exchange may echo them), no control character, no "wait inf"."""
    text = str(error) + (error.detail if isinstance(error, ExchangeError) else "")
    for secret in (*secrets, "a" * 64):  # 64 hex digits: a signature
        assert secret not in text
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text), text
    assert "wait inf" not in text and "wait nan" not in text


# --- the pure function --------------------------------------------------------------------

CALLS = [Call("GET", CONFIG, secrets=(KEY, SECRET)), Call("PUT", CONFIG, secrets=(KEY, SECRET, INVITE)),
         Call("DELETE", "/api/v2/copy-trading/leader/followers/7", secrets=(KEY, SECRET)),
         Call("GET", "/api/v1/time", signed=False)]


@settings(max_examples=600, deadline=None)
@given(call=st.sampled_from(CALLS), answer=answers(), now=st.floats(0, 4e9))
def test_classify_never_fails_and_never_rejects_an_unsettled_write(call, answer, now):
    status, body, headers = answer
    payload = decode(body, headers.get("Content-Encoding"))
    payload = None if payload == "unreadable" else payload
    decision = classify(call, status, payload, headers, now=now, max_wait=300)
    assert decision.kind in Kind
    if decision.kind is Kind.DONE:
        assert decision.error is None
        return
    assert isinstance(decision.error, LeaderctlError)
    check_message(decision.error, call.secrets)
    if decision.kind is Kind.WAIT:
        assert math.isfinite(decision.seconds) and 0 <= decision.seconds <= 300
    ban = getattr(decision.error, "retry_after", None)
    assert ban is None or (math.isfinite(ban) and 0 <= ban <= 3 * 86400)
    if call.write and must_be_unknown(status, payload):
        assert decision.kind is Kind.UNKNOWN, (status, payload)


@settings(max_examples=300, deadline=None)
@given(call=st.sampled_from(CALLS), payload=json_any | wrapper, headers=st.dictionaries(header_text, header_text))
def test_classify_takes_any_decoded_json_and_any_headers(call, payload, headers):
    for status in (200, 404, 429, 503):
        decision = classify(call, status, payload, headers, now=1.7e9)
        assert decision.kind in Kind
        assert decision.kind is Kind.DONE or isinstance(decision.error, LeaderctlError)


# --- every endpoint method over real HTTP -----------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server():
    state = {"answer": (200, b"{}", {})}

    def respond(req):
        status, body, headers = state["answer"]
        return Answer(status, body, dict(headers), close=True)

    with Server(respond) as server:
        server.state = state
        yield server


METHODS = {
    "get_config": lambda c: c.get_config(),
    "get_config_settle": lambda c: c.get_config(settle=True),
    "put_config": lambda c: c.put_config({"unLeadType": 0, "profitRate": Decimal("0.1"), "inviteCode": INVITE}),
    "get_symbols": lambda c: c.get_symbols(),
    "get_current_orders": lambda c: c.get_current_orders(),
    "get_order_history": lambda c: c.get_order_history(2, 50),
    "iter_order_history": lambda c: list(itertools.islice(c.iter_order_history(size=10), 40)),
    "get_trade_data": lambda c: c.get_trade_data(30),
    "get_profit_sharing_history": lambda c: c.get_profit_sharing_history(),
    "get_followers": lambda c: c.get_followers(1, 10),
    "iter_followers": lambda c: list(itertools.islice(c.iter_followers(size=10), 40)),
    "remove_follower": lambda c: c.remove_follower(123456789),
}
WRITES = {"put_config", "remove_follower"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_endpoint_method_over_http(fuzz_server, method):
    @settings(max_examples=35, deadline=None, suppress_health_check=list(HealthCheck))
    @given(answer=answers())
    def run(answer):
        fuzz_server.state["answer"] = answer
        before = len(fuzz_server.seen)
        conn = Connection(fuzz_server.url, retry=RetryPolicy(retries=1, backoff=0), max_pause=0, timeout=10,
                          wall_ms=lambda: 1717200000000)
        try:
            METHODS[method](conn.leader(KEY, SECRET))
        except LeaderctlError as error:
            check_message(error, (KEY, SECRET, INVITE) if method == "put_config" else (KEY, SECRET))
            status, body, headers = answer
            payload = decode(body, headers.get("Content-Encoding"))
            if method in WRITES and must_be_unknown(status, payload):
                assert isinstance(error, OutcomeUnknownError), (answer, error)
            if isinstance(error, OutcomeUnknownError):
                writes = [r for r in fuzz_server.seen[before:] if r.method != "GET"]
                assert len(writes) == 1  # an unsettled write is never resent
            if isinstance(error, BannedError):
                assert conn.banned
        finally:
            conn.close()

    run()
