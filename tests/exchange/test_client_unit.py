"""The client against scripted answers (httpx.MockTransport): signing, decoding, retries, safety."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import traceback
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from codes_kit import raises_code
from reconciler.exchange import (
    BannedError,
    Connection,
    ExchangeError,
    RetryPolicy,
    FirewallError,
    InsecureEndpointError,
    OutcomeUnknownError,
    Page,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

KEY = "tEsTkEy0123456789abcdefKEY"
SECRET = "tEsTsEcReT0123456789abcdefSECRET"
INVITE = "SECRETCODE"
CONFIG = "/api/v2/copy-trading/leader/config"
FOLLOWERS = "/api/v2/copy-trading/leader/followers"


def ok(data=None, status=200, **headers):
    return httpx.Response(status, json={"code": 200, "msg": "success", "data": data}, headers=headers)


def fail(code, msg="error", status=200, **headers):
    return httpx.Response(status, json={"code": code, "msg": msg, "data": None}, headers=headers)


class ScriptedExchange:
    """Answers requests from a script: a list of responses/exceptions (or a function)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.server_time = None
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            if request.url.path == "/api/v1/time":
                return httpx.Response(200, json={"serverTime": self.server_time or int(time.time() * 1000)})
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def signed(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/api/v1/time"]


def connect(exchange, *, max_retries=3, **kw) -> Connection:
    kw.setdefault("retry", RetryPolicy(retries=max_retries, backoff=0))
    return Connection("https://api.exchange.test", transport=httpx.MockTransport(exchange), **kw)


def leader(exchange, **kw):
    return connect(exchange, **kw).leader(KEY, SECRET)


def secret_free(text: str) -> bool:
    return KEY not in text and SECRET not in text and "signature=" not in text and INVITE not in text


def full_text(err: BaseException) -> str:
    return "".join(traceback.format_exception(err)) + repr(err) + str(err)


# --- signing and the wire format ------------------------------------------------------------


def test_requests_are_signed_over_the_query_exactly_as_sent():
    ex = ScriptedExchange(ok({"pages": "1", "total": "0", "list": []}))
    conn = connect(ex, wall_ms=lambda: 1717200000000)
    conn.leader(KEY, SECRET).get_followers(page=2, size=50)
    request = ex.requests[0]
    assert request.method == "GET" and request.url.path == FOLLOWERS
    assert request.headers["X-BB-APIKEY"] == KEY
    raw = request.url.query.decode()
    unsigned, _, signature = raw.rpartition("&signature=")
    assert unsigned == "page=2&size=50&recvWindow=5000&timestamp=1717200000000"
    assert signature == hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
    assert request.url.scheme == "https"


def test_put_body_is_json_with_decimal_strings_and_int_numbers():
    ex = ScriptedExchange(ok(None))
    client = leader(ex)
    client.put_config({"unLeadType": 1, "unLeadEndTime": 1717286400000, "profitRate": Decimal("0.10"),
                       "followAssetLowerLimit": Decimal("1E+2"), "tradeProtect": True,
                       "symbolIds": ["BTC-SWAP-USDT"], "inviteCode": INVITE})
    request = ex.requests[0]
    assert request.method == "PUT" and request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"unLeadType": 1, "unLeadEndTime": 1717286400000, "profitRate": "0.10",
                                           "followAssetLowerLimit": "100", "tradeProtect": 1,
                                           "symbolIds": ["BTC-SWAP-USDT"], "inviteCode": INVITE}
    params = dict(parse_qsl(request.url.query.decode()))
    assert list(params) == ["recvWindow", "timestamp", "signature"]


def test_binary_floats_are_refused_before_sending():
    ex = ScriptedExchange(ok(None))
    with pytest.raises(TypeError, match="profitRate"):
        leader(ex).put_config({"profitRate": 0.1})
    assert ex.requests == []


def test_responses_keep_exact_decimals_ints_and_strings():
    ex = ScriptedExchange(httpx.Response(200, content=b'{"code":"200","msg":"success","data":'
                                             b'{"profitRate":0.1,"tradeProtect":1,"unLeadEndTime":"1717286400000"}}'))
    data = leader(ex).get_config()
    assert data == {"profitRate": Decimal("0.1"), "tradeProtect": 1, "unLeadEndTime": "1717286400000"}
    assert type(data["profitRate"]) is Decimal and type(data["tradeProtect"]) is int


def test_endpoint_methods_use_the_documented_paths():
    ex = ScriptedExchange(lambda r: ok({"pages": 1, "total": 0, "list": []} if r.url.path.endswith("orders/history") else []))
    client = leader(ex)
    client.get_symbols()
    client.get_current_orders()
    client.get_trade_data(30)
    client.get_profit_sharing_history()
    client.get_order_history(3, 20)
    client.remove_follower(123456789)
    seen = [(r.method, r.url.path, dict(parse_qsl(r.url.query.decode())).get("type")) for r in ex.requests]
    prefix = "/api/v2/copy-trading/leader"
    assert seen == [("GET", f"{prefix}/symbols", None), ("GET", f"{prefix}/orders/current", None),
                    ("GET", f"{prefix}/trade-data", "30"), ("GET", f"{prefix}/profit-sharings/history", None),
                    ("GET", f"{prefix}/orders/history", None), ("DELETE", f"{prefix}/followers/123456789", None)]
    with pytest.raises(ValueError):
        client.remove_follower(0)


def test_pages_and_iteration():
    pages = {1: ["a", "b"], 2: ["c", "d"], 3: ["e"]}

    def answer(request):
        page = int(dict(parse_qsl(request.url.query.decode()))["page"])
        return ok({"pages": "3", "total": "5", "list": [{"followerNickname": n} for n in pages[page]]})

    ex = ScriptedExchange(answer)
    client = leader(ex)
    assert [f["followerNickname"] for f in client.iter_followers(size=2)] == ["a", "b", "c", "d", "e"]
    assert len(ex.requests) == 3
    assert client.get_followers(2, 2) == Page(pages=3, total=5, items=[{"followerNickname": "c"},
                                                                       {"followerNickname": "d"}])
    numbers = ScriptedExchange(ok({"pages": 1, "total": 1, "list": [{"x": 1}]}))
    assert list(leader(numbers).iter_order_history()) == [{"x": 1}]


# --- typed errors ----------------------------------------------------------------------------


def test_error_codes_become_typed_errors_without_the_query():
    ex = ScriptedExchange(fail(-1020, "This operation is not supported."))
    with raises_code(-1020) as info:
        leader(ex).put_config({"unLeadType": 0})
    err = info.value
    assert err.code == -1020 and err.http_status == 200 and err.endpoint == f"PUT {CONFIG}"
    assert secret_free(full_text(err))


def test_error_code_in_an_http_4xx_answer_and_string_codes():
    ex = ScriptedExchange(fail("-1022", "Signature for this request is not valid.", status=400))
    with raises_code(-1022) as info:
        leader(ex).get_config()
    assert info.value.http_status == 400 and len(ex.requests) == 1
    ex = ScriptedExchange(fail(-120041, "Copy trading leader is not available."))
    with raises_code(-120041):
        leader(ex).get_symbols()


def test_undocumented_errors_and_unreadable_answers():
    with pytest.raises(ExchangeError) as info:
        leader(ScriptedExchange(fail(-42, "odd"))).get_config()
    assert info.value.code == -42 and '"odd"' in str(info.value)
    with pytest.raises(ExchangeError) as info:
        leader(ScriptedExchange(httpx.Response(404, text="<html>not found</html>"))).get_config()
    assert info.value.http_status == 404
    with pytest.raises(UnexpectedResponseError):
        leader(ScriptedExchange(httpx.Response(200, text="<html>login</html>"))).get_config()
    with pytest.raises(OutcomeUnknownError):
        leader(ScriptedExchange(httpx.Response(200, text="<html>login</html>"))).put_config({})


def test_the_exchange_message_never_echoes_secrets():
    ex = ScriptedExchange(fail(-1130, f"Data sent for paramter 'inviteCode' is not valid: {INVITE} {KEY}"))
    with pytest.raises(ExchangeError) as info:
        leader(ex).put_config({"inviteCode": INVITE})
    assert "'inviteCode'" in str(info.value) and secret_free(full_text(info.value))


def test_bad_credentials_are_refused_without_echoing_them():
    conn = connect(ScriptedExchange(ok()))
    bad_key = "key with\nMARKER"
    with raises_code(-2014) as info:
        conn.leader(bad_key, SECRET)
    assert "MARKER" not in full_text(info.value)
    with raises_code(-2014):
        conn.leader(KEY, "")


def test_firewall():
    with pytest.raises(FirewallError) as info:
        leader(ScriptedExchange(httpx.Response(403, text="blocked"))).get_config()
    assert "firewall" in str(info.value) and info.value.http_status == 403


# --- retries -------------------------------------------------------------------------------


def test_get_is_retried_on_5xx_and_unknown_errors_then_succeeds():
    ex = ScriptedExchange(httpx.Response(503), fail(-1001, "internal"), fail(-1000, "unknown"), ok({"a": 1}))
    assert leader(ex).get_config() == {"a": 1}
    assert len(ex.requests) == 4


def test_get_gives_up_after_max_retries():
    ex = ScriptedExchange(httpx.Response(502))
    with pytest.raises(ServerError) as info:
        leader(ex, max_retries=2).get_symbols()
    assert len(ex.requests) == 3 and info.value.http_status == 502
    ex = ScriptedExchange(fail(-1000, "unknown"))
    with raises_code(-1000):
        leader(ex, max_retries=1).get_symbols()
    assert len(ex.requests) == 2


def test_get_is_retried_on_timeouts_and_connection_errors():
    ex = ScriptedExchange(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), ok([{"symbolId": "X"}]))
    assert leader(ex).get_symbols() == [{"symbolId": "X"}]
    assert len(ex.requests) == 3


def test_transport_failure_after_retries_hides_httpx_and_the_url():
    ex = ScriptedExchange(lambda request: httpx.ConnectError(f"cannot connect to {request.url}"))
    with pytest.raises(TransportError) as info:
        leader(ex, max_retries=2).get_config()
    err = info.value
    assert len(ex.requests) == 3 and err.kind == "ConnectError"
    assert err.__cause__ is None and err.__context__ is None
    assert secret_free(full_text(err))


@pytest.mark.parametrize("answer", [httpx.Response(500), httpx.Response(503), httpx.Response(504),
                                    httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"),
                                    fail(-1000, "unknown"), fail(-1001, "internal"),
                                    fail(-1006, "UNEXPECTED_RESP"), fail(-1007, "TIMEOUT"),
                                    fail(-1007, "TIMEOUT", status=400), httpx.Response(200, text="<html>"),
                                    httpx.Response(200, json={"code": "NaN"})])
def test_writes_are_never_retried_once_they_may_have_arrived(answer):
    ex = ScriptedExchange(answer, ok(None))
    with pytest.raises(OutcomeUnknownError) as info:
        leader(ex).put_config({"unLeadType": 0})
    assert len(ex.requests) == 1
    assert "may or may not have been applied; read the state back" in str(info.value)
    assert info.value.endpoint == f"PUT {CONFIG}" and secret_free(full_text(info.value))
    ex = ScriptedExchange(answer, ok(None))
    with pytest.raises(OutcomeUnknownError):
        leader(ex).remove_follower(7)
    assert len(ex.requests) == 1


def test_a_4xx_answer_is_a_rejection_even_with_an_unknown_error_code():
    ex = ScriptedExchange(fail(-1000, "unknown", status=400), ok(None))
    with raises_code(-1000) as info:
        leader(ex).put_config({"unLeadType": 0})
    assert info.value.http_status == 400 and len(ex.requests) == 1


def test_writes_are_retried_when_the_connection_never_opened():
    ex = ScriptedExchange(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), ok(None))
    leader(ex).put_config({"unLeadType": 0})
    assert len(ex.requests) == 3


def test_timestamp_rejection_resyncs_the_clock_once_then_succeeds():
    ex = ScriptedExchange(fail(-1021, "Timestamp outside recvWindow"), ok(None))
    real = lambda: time.time_ns() // 1_000_000  # noqa: E731
    conn = connect(ex, wall_ms=lambda: real() - 20_000)  # local clock 20 s behind
    ex.server_time = real()
    conn.leader(KEY, SECRET).put_config({"unLeadType": 0})
    assert [r.url.path for r in ex.requests] == [CONFIG, "/api/v1/time", CONFIG]
    assert 19_000 < conn.clock_offset_ms < 21_000
    first, retried = (int(dict(parse_qsl(r.url.query.decode()))["timestamp"]) for r in ex.signed)
    assert retried - first > 19_000


def test_timestamp_rejection_twice_is_an_error():
    ex = ScriptedExchange(fail(-1021, "Timestamp outside recvWindow"))
    with raises_code(-1021):
        leader(ex).get_config()
    assert len(ex.signed) == 2


def test_server_time_is_public_and_unsigned():
    ex = ScriptedExchange(ok())
    ex.server_time = 1717200000000
    conn = connect(ex)
    assert conn.server_time() == 1717200000000
    request = ex.requests[0]
    assert request.url.query == b"" and "X-BB-APIKEY" not in request.headers


# --- 429 and 418 ---------------------------------------------------------------------------


def test_429_pauses_every_thread_then_retries():
    ex = ScriptedExchange(fail(-1003, "Too many requests", status=429, **{"Retry-After": "0.3"}), ok({"a": 1}))
    conn = connect(ex)
    client = conn.leader(KEY, SECRET)
    started = time.monotonic()
    assert client.get_config() == {"a": 1}
    assert time.monotonic() - started >= 0.28  # the retry came after the pause
    assert len(ex.requests) == 2


def test_no_request_leaves_during_a_429_pause():
    sent_at: list[float] = []

    def answer(request):
        sent_at.append(time.monotonic())
        if len(sent_at) == 1:
            return fail(-1003, "Too many requests", status=429, **{"Retry-After": "0.4"})
        return ok([])

    conn = connect(ScriptedExchange(answer))
    first = conn.leader(KEY, SECRET)
    others = [conn.leader(KEY, SECRET) for _ in range(4)]
    first_thread = threading.Thread(target=first.get_symbols)
    first_thread.start()
    deadline = time.monotonic() + 5
    while conn.limiter.paused_remaining() == 0 and time.monotonic() < deadline:
        time.sleep(0.005)  # until the 429 has arrived and the pause is on
    threads = [threading.Thread(target=c.get_symbols) for c in others]
    for t in threads:
        t.start()
    for t in [first_thread, *threads]:
        t.join(5)
    assert len(sent_at) == 6
    assert all(t - sent_at[0] >= 0.38 for t in sent_at[1:])


def test_429_without_retry_after_waits_a_minute_and_too_many_429s_give_up():
    ex = ScriptedExchange(httpx.Response(429))
    conn = connect(ex, max_retries=0)
    with pytest.raises(RateLimitedError) as info:
        conn.leader(KEY, SECRET).get_config()
    assert info.value.retry_after == 60 and info.value.label == "HTTP 429"
    assert 59 < conn.limiter.paused_remaining() <= 60


def test_a_very_long_retry_after_stops_the_connection_instead_of_hanging():
    ex = ScriptedExchange(httpx.Response(429, headers={"Retry-After": "3600"}))
    conn = connect(ex)
    client = conn.leader(KEY, SECRET)
    with pytest.raises(RateLimitedError):
        client.get_config()
    with pytest.raises(RateLimitedError):
        client.get_symbols()
    assert len(ex.requests) == 1


def test_418_bans_the_connection_and_nothing_more_is_sent():
    ex = ScriptedExchange(httpx.Response(418, headers={"Retry-After": "120"}), ok({}))
    conn = connect(ex)
    client = conn.leader(KEY, SECRET)
    with pytest.raises(BannedError) as info:
        client.get_config()
    assert "banned" in str(info.value) and "120 s" in str(info.value) and conn.banned
    for call in (client.get_config, lambda: client.put_config({}), conn.server_time,
                 lambda: conn.leader(KEY, SECRET).get_symbols()):
        with pytest.raises(BannedError):
            call()
    assert len(ex.requests) == 1


def test_418_stops_threads_waiting_for_the_limiter():
    gate = threading.Event()

    def answer(request):
        gate.wait(5)
        return httpx.Response(418)

    ex = ScriptedExchange(answer)
    conn = connect(ex, weight_per_minute=1)
    errors: list[BaseException] = []

    def call():
        try:
            conn.leader(KEY, SECRET).get_config()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.1)  # one request in flight, two waiting for the budget
    gate.set()
    for t in threads:
        t.join(5)
    assert [type(e) for e in errors] == [BannedError] * 3
    assert len(ex.requests) == 1


# --- endpoint safety -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.toobit.com", "http://10.0.0.1:8080", "http://127.0.0.1.evil.com"])
def test_plain_http_to_a_remote_host_is_refused(url):
    with pytest.raises(InsecureEndpointError):
        Connection(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:1/",
                                 "http://[::1]:9000", "https://api.toobit.com/"])
def test_https_and_loopback_http_are_accepted(url):
    with Connection(url) as conn:
        assert not conn.endpoint.endswith("/")


def test_user_info_in_the_endpoint_is_dropped():
    with Connection("https://user:pw@api.toobit.com") as conn:
        assert conn.endpoint == "https://api.toobit.com" and "pw" not in repr(conn)


# --- secrets and logging ---------------------------------------------------------------------


def test_no_secret_in_logs_at_any_verbosity(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    # -1022 twice: the PUT is resent once signed the other way (signing.Variant), refused again
    ex = ScriptedExchange(httpx.Response(503), ok({"a": 1}), fail(-1022, "bad signature"), fail(-1022, "bad signature"), ok(None))
    client = leader(ex, verbose=True)
    client.get_config()
    with raises_code(-1022) as info:
        client.put_config({"inviteCode": INVITE})
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    out = capsys.readouterr()
    assert f"GET {CONFIG} -> HTTP 200, code 200, weight 1, attempt 2" in text  # verbose says what happened...
    assert "HTTP Request" in text  # ...httpx's own line is there, without its query string
    for blob in (text, out.out, out.err, full_text(info.value), repr(client), repr(client._conn)):
        assert secret_free(blob), blob


def test_concurrent_use_counts_every_request():
    ex = ScriptedExchange(ok([]))
    conn = connect(ex)
    clients = [conn.leader(KEY, SECRET) for _ in range(8)]
    threads = [threading.Thread(target=lambda c=c: [c.get_symbols() for _ in range(10)]) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert conn.requests_sent == 80 == len(ex.requests)
    assert conn.requests_by_path["GET /api/v2/copy-trading/leader/symbols"] == 80


def test_closed_connection_refuses_requests():
    conn = connect(ScriptedExchange(ok()))
    client = conn.leader(KEY, SECRET)
    conn.close()
    with pytest.raises(RuntimeError):
        client.get_config()


@pytest.mark.parametrize("code", [-1006, -1007])
def test_status_unknown_codes_retry_reads(code):
    ex = ScriptedExchange(fail(code, "status unknown"), fail(code, "status unknown", status=400), ok({"a": 1}))
    assert leader(ex).get_config() == {"a": 1}
    assert len(ex.requests) == 3


def test_a_1003_saying_the_ip_is_banned_stops_everything_like_418():
    ex = ScriptedExchange(fail(-1003, "Way too many requests; IP banned until 1717200120000.", status=429), ok({}))
    conn = connect(ex, wall_ms=lambda: 1717200000000)
    client = conn.leader(KEY, SECRET)
    with pytest.raises(BannedError) as info:
        client.get_config()
    assert conn.banned and info.value.code == -1003 and info.value.retry_after == 120
    for call in (client.get_symbols, lambda: client.put_config({}), conn.server_time):
        with pytest.raises(BannedError):
            call()
    assert len(ex.requests) == 1


def test_a_1003_that_is_not_a_ban_waits_and_resends():
    ex = ScriptedExchange(fail(-1003, "Too many requests", **{"Retry-After": "0"}), ok({"a": 1}))
    conn = connect(ex)
    assert conn.leader(KEY, SECRET).get_config() == {"a": 1} and not conn.banned


def test_the_request_log_has_one_line_per_request_and_no_secret(caplog):
    caplog.set_level(logging.DEBUG, logger="leaderctl.requests")
    ex = ScriptedExchange(httpx.Response(503), ok({"a": 1}), fail(-1130, f"bad {INVITE} {KEY}"), httpx.ReadTimeout("slow"))
    client = leader(ex, verbose=True)
    client.get_config()
    with pytest.raises(ExchangeError):
        client.put_config({"inviteCode": INVITE, "profitRate": Decimal("0.1")})
    with pytest.raises(OutcomeUnknownError):
        client.remove_follower(42)
    lines = [r.getMessage() for r in caplog.records if r.name == "leaderctl.requests"]
    assert lines[0].startswith(f"GET {CONFIG} -> HTTP 503, code -, weight 1, attempt 1, ") and lines[0].endswith(" ms: retry")
    assert lines[1].startswith(f"GET {CONFIG} -> HTTP 200, code 200, weight 1, attempt 2, ") and lines[1].endswith(": done")
    assert lines[2].startswith(f"PUT {CONFIG} -> HTTP 200, code -1130, weight 1, attempt 1, ") and lines[2].endswith(": error")
    assert lines[3].startswith(f"DELETE {FOLLOWERS}/42 -> no answer (ReadTimeout), code -, weight 1, attempt 1, ")
    assert lines[3].endswith(": unknown") and len(lines) == 4
    text = "\n".join(lines) + caplog.text
    assert secret_free(text) and "timestamp=" not in text and "recvWindow" not in text and "?" not in text


def test_no_request_log_unless_verbose(caplog):
    caplog.set_level(logging.DEBUG, logger="leaderctl.requests")
    leader(ScriptedExchange(ok({"a": 1}))).get_config()
    assert [r for r in caplog.records if r.name == "leaderctl.requests"] == []


def test_malformed_pages_and_lists_are_unexpected_answers():
    for data in ({"pages": "x", "total": 1, "list": []}, {"pages": 1, "total": 1, "list": "abc"},
                 {"pages": 1, "total": 1, "list": [1, 2]}, {"pages": 1.5, "list": []},
                 {"pages": -1, "list": []}, [], "page"):
        with pytest.raises(UnexpectedResponseError):
            leader(ScriptedExchange(ok(data))).get_followers()
    for data in ({"a": 1}, "BTC", [1], [["x"]]):
        with pytest.raises(UnexpectedResponseError):
            leader(ScriptedExchange(ok(data))).get_symbols()


def test_deeply_nested_answers_are_unreadable_not_a_crash():
    deep = b'{"code":200,"msg":"success","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(UnexpectedResponseError):
        leader(ScriptedExchange(httpx.Response(200, content=deep))).get_config()
    with pytest.raises(OutcomeUnknownError):
        leader(ScriptedExchange(httpx.Response(200, content=deep))).put_config({})


@pytest.mark.parametrize("body", [{"serverTime": "NaN"}, {"serverTime": True}, {"serverTime": [1]}, {}, {"serverTime": -5}])
def test_a_malformed_server_time_is_an_unexpected_answer(body):
    conn = Connection("https://api.exchange.test", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body)))
    with pytest.raises(UnexpectedResponseError):
        conn.server_time()


def test_a_server_clock_that_answers_1021_is_an_error_not_a_hang():
    """The clock re-read after -1021 must not itself re-read the clock (it used to deadlock)."""
    conn = Connection("https://api.exchange.test", retry=RetryPolicy(backoff=0),
                      transport=httpx.MockTransport(lambda r: fail(-1021, "Timestamp outside recvWindow")))
    outcome = []

    def read():
        with raises_code(-1021) as info:
            conn.leader(KEY, SECRET).get_config()
        outcome.append(info)

    worker = threading.Thread(target=read)
    worker.start()
    worker.join(20)
    assert not worker.is_alive() and len(outcome) == 1


def test_importing_the_package_for_its_errors_does_not_load_httpx():
    import subprocess
    import sys

    code = ("import sys\n"
            "from reconciler.exchange import ExchangeError, InterruptedRequest, ConnectionSettings, DEFAULT_ENDPOINT, classify\n"
            "assert 'httpx' not in sys.modules, 'httpx loaded'\n"
            "from reconciler.exchange import Connection\n"
            "assert 'httpx' in sys.modules\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
