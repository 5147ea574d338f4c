"""Fault kinds for hostile-network tests, each over real HTTP: body, data, trickle, status,
error codes that mean "outcome unknown" or "banned", and the write-first variants."""
import gzip
import json
import math
import socket
import time

import httpx
import pytest

from reconciler.sandbox import Fault, Sandbox

CONFIG = "/api/v2/copy-trading/leader/config"
SYMBOLS = "/api/v2/copy-trading/leader/symbols"
FOLLOWERS = "/api/v2/copy-trading/leader/followers"


# ---------------------------------------------------------------- kind="body"


def test_body_payload_answers_any_json_for_the_next_request_only(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="GET", path_prefix=SYMBOLS, kind="body", payload={"code": 200, "data": {"symbolIds": "BTC"}}))
    response = api.request("GET", SYMBOLS)
    assert response.status_code == 200 and response.json() == {"code": 200, "data": {"symbolIds": "BTC"}}
    assert response.headers["content-type"] == "application/json"
    assert sandbox.requests[-1].code == 200
    assert isinstance(api.get("/symbols")["data"], list)  # times=1: used up


def test_body_payload_may_hold_nan_and_infinity(sandbox, raw_api):
    sandbox.inject(Fault(kind="body", payload={"code": 200, "msg": "success", "data": {"profitRate": math.nan,
                                                                                        "x": -math.inf}}))
    text = raw_api("alpha").request("GET", CONFIG).text
    assert text == '{"code": 200, "msg": "success", "data": {"profitRate": NaN, "x": -Infinity}}'


def test_body_bytes_status_and_headers_as_given(sandbox, raw_api):
    deep = b"[" * 5000 + b"]" * 5000
    sandbox.inject(Fault(path_prefix=CONFIG, kind="body", body=deep, status=202, headers={"X-Extra": "1"}))
    sandbox.inject(Fault(path_prefix=CONFIG, kind="body", body=b"<html>oops</html>", status=200,
                         headers={"Content-Type": "text/html"}))
    api = raw_api("alpha")
    first = api.request("GET", CONFIG)
    assert (first.status_code, first.content, first.headers["x-extra"]) == (202, deep, "1")
    second = api.request("GET", CONFIG)
    assert second.content == b"<html>oops</html>" and second.headers.get_list("content-type") == ["text/html"]
    assert sandbox.requests[-1].code is None


def test_body_can_be_a_gzip_bomb_with_its_encoding_header(sandbox, raw_api):
    inflated = b'{"code": 200, "data": "' + b"A" * 1_000_000 + b'"}'
    sandbox.inject(Fault(kind="body", body=gzip.compress(inflated), headers={"Content-Encoding": "gzip"}))
    response = raw_api("alpha").request("GET", CONFIG)
    assert response.headers["content-encoding"] == "gzip" and int(response.headers["content-length"]) < 10_000
    assert response.content == inflated  # httpx decoded it


def test_body_replaces_a_write_without_applying_it_unless_after(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", kind="body", payload={"code": 200, "msg": "success", "data": None}))
    assert api.put_config(dict(base_config, profitRate="0.2"))["code"] == 200
    assert api.get("/config")["data"]["profitRate"] == "0.08"  # said success, did nothing
    sandbox.inject(Fault(method="PUT", kind="body", payload=[], after=True))
    assert api.put_config(dict(base_config, profitRate="0.2")) == []
    assert api.get("/config")["data"]["profitRate"] == "0.2"  # did it, said nonsense


def test_a_false_content_length_closes_the_connection(sandbox, raw_api):
    sandbox.inject(Fault(kind="body", body=b'{"code": 200}', headers={"Content-Length": "400"}))
    host, port = sandbox.host, sandbox.port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /api/v1/time HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert b"Content-Length: 400" in received and received.endswith(b'{"code": 200}')


# ---------------------------------------------------------------- kind="data"


def test_data_replaces_the_read_back_after_a_real_write(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="data", data="surprise"))
    assert api.put_config(dict(base_config, profitRate="0.2")) == {"code": 200, "msg": "success", "data": "surprise"}
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="data", data={}, times=2))
    assert api.get("/config") == {"code": 200, "msg": "success", "data": {}}
    assert api.get("/config")["data"] == {}
    assert api.get("/config")["data"]["profitRate"] == "0.2"  # the write was applied


def test_data_may_be_null_and_keeps_an_error_answer_an_error(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.inject(Fault(path_prefix=CONFIG, kind="data", data=None))
    assert api.get("/config") == {"code": 200, "msg": "success", "data": None}
    sandbox.inject(Fault(path_prefix=CONFIG, kind="data", data=[1]))
    assert api.get("/config", secret="wrong")["code"] == -1022


# ------------------------------------------------------------- kind="trickle"


def test_trickle_sends_the_real_answer_one_byte_at_a_time(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="trickle", delay=0.02))
    expected = b'{"code": 200, "msg": "success", "data": null}'
    started = time.monotonic()
    response = api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2"))
    elapsed = time.monotonic() - started
    assert response.content == expected
    assert elapsed >= len(expected) * 0.02
    assert api.get("/config")["data"]["profitRate"] == "0.2"


def test_trickle_in_chunks(sandbox, raw_api):
    sandbox.inject(Fault(path_prefix=CONFIG, kind="trickle", delay=0.05, chunk=100))
    api = raw_api("alpha")
    started = time.monotonic()
    response = api.request("GET", CONFIG)
    elapsed = time.monotonic() - started
    assert response.json()["code"] == 200
    assert elapsed >= math.ceil(len(response.content) / 100) * 0.05


def test_stop_ends_a_trickle(tmp_path):
    sb = Sandbox().start()
    account = sb.ensure_account("alpha")
    sb.inject(Fault(kind="trickle", delay=30))
    with httpx.Client() as http:
        with http.stream("GET", f"{sb.url}/api/v1/time") as response:
            assert response.status_code == 200
            started = time.monotonic()
            sb.stop()
            with pytest.raises(httpx.RemoteProtocolError):
                response.read()
    assert time.monotonic() - started < 10 and account.name == "alpha"


# --------------------------------------------------------------- kind="status"


@pytest.mark.parametrize("status", [404, 403, 500, 502])
def test_status_with_an_empty_body(sandbox, raw_api, status):
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="status", status=status))
    response = raw_api("alpha").request("GET", CONFIG)
    assert (response.status_code, response.content) == (status, b"")
    assert sandbox.requests[-1].http_status == status


def test_status_with_a_wrapper_body(sandbox, raw_api):
    sandbox.inject(Fault(kind="status", status=404, code=-1000, msg="Not Found"))
    response = raw_api("alpha").request("GET", CONFIG)
    assert response.status_code == 404 and response.json() == {"code": -1000, "msg": "Not Found", "data": None}


def test_status_after_a_write(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", kind="status", status=504, after=True))
    assert api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2")).status_code == 504
    assert api.get("/config")["data"]["profitRate"] == "0.2"


# ------------------------------------------------------ kind="error_code", 418


@pytest.mark.parametrize("code, words", [(-1006, "Execution status unknown"), (-1007, "execution status unknown")])
def test_outcome_unknown_codes_carry_their_documented_message(sandbox, raw_api, code, words):
    sandbox.inject(Fault(kind="error_code", code=code))
    body = raw_api("alpha").get("/config")
    assert body["code"] == code and words in body["msg"]


@pytest.mark.parametrize("code", [-1006, -1007])
def test_error_code_after_the_write_was_applied(sandbox, raw_api, base_config, code):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="error_code", code=code, after=True))
    assert api.put_config(dict(base_config, profitRate="0.2"))["code"] == code
    assert api.get("/config")["data"]["profitRate"] == "0.2"
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="error_code", code=code))
    assert api.put_config(dict(base_config, profitRate="0.25"))["code"] == code
    assert api.get("/config")["data"]["profitRate"] == "0.2"  # without after: not applied


def test_a_banned_minus_1003_in_a_200_answer(sandbox, raw_api):
    msg = "Way too many requests; IP(127.0.0.1) banned until 1717200120000. Please use the websocket for live updates to avoid bans."
    sandbox.inject(Fault(kind="error_code", code=-1003, msg=msg))
    sandbox.inject(Fault(kind="error_code", code=-1003, status=429))
    api = raw_api("alpha")
    response = api.request("GET", CONFIG)
    assert response.status_code == 200 and response.json() == {"code": -1003, "msg": msg, "data": None}
    plain = api.request("GET", CONFIG)
    assert plain.status_code == 429 and "banned" not in plain.json()["msg"]


def test_the_418_ban_message_says_banned_until_when(tmp_path):
    with Sandbox(weight_per_minute=1, ban_seconds=120) as sb, httpx.Client() as http:
        answers = [http.get(f"{sb.url}/api/v1/time") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 429, 429, 429, 418]
    body = answers[-1].json()
    assert body["code"] == -1003 and body["msg"].startswith("Way too many requests; IP(127.0.0.1) banned until ")
    until_ms = int(body["msg"].split("banned until ")[1].split(".")[0])
    assert 110_000 <= until_ms - time.time() * 1000 <= 121_000
    assert answers[1].json()["msg"] == "Too many requests; current limit is 1 request weight per 1 MINUTE."


def test_5xx_fault_with_any_status_keeps_working(sandbox, raw_api):
    sandbox.inject(Fault(method="DELETE", kind="5xx_before", status=418, times=None))
    assert raw_api("alpha").request("DELETE", f"{FOLLOWERS}/1").status_code == 418


# ---------------------------------------------------------------- matching


def test_faults_match_method_and_path_prefix_and_count_down(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="status", status=500, times=None))
    sandbox.inject(Fault(method="GET", path_prefix="/api/v2/copy-trading/leader/orders", kind="status", status=404, times=2))
    assert api.get("/config")["code"] == 200  # PUT-only fault
    statuses = [api.request("GET", "/api/v2/copy-trading/leader/orders/history").status_code for _ in range(3)]
    assert statuses == [404, 404, 200]
    assert api.request("GET", SYMBOLS).status_code == 200


def test_faults_are_taken_once_each_under_concurrency(sandbox):
    from concurrent.futures import ThreadPoolExecutor

    sandbox.inject(Fault(path_prefix="/api/v1/time", kind="status", status=503, times=7))
    with httpx.Client(limits=httpx.Limits(max_connections=16)) as http:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: http.get(f"{sandbox.url}/api/v1/time").status_code, range(30)))
    assert statuses.count(503) == 7 and statuses.count(200) == 23


@pytest.mark.parametrize("kwargs, words", [
    ({"kind": "nope"}, "unknown kind"),
    ({"kind": "error_code"}, "needs code="),
    ({"kind": "status"}, "needs status="),
    ({"kind": "body"}, "exactly one of body="),
    ({"kind": "body", "body": b"x", "payload": {}}, "exactly one of body="),
    ({"kind": "body", "body": "text"}, "must be bytes"),
    ({"kind": "body", "payload": {1j}}, "not JSON-serialisable"),
    ({"kind": "data"}, "needs data="),
    ({"kind": "trickle"}, "needs delay > 0"),
    ({"kind": "latency", "after": True}, "after=True only applies"),
])
def test_fault_parameters_are_checked_when_made(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Fault(**kwargs)


def test_headers_also_on_real_answers(sandbox, raw_api):
    sandbox.inject(Fault(path_prefix=CONFIG, kind="data", data={}, headers={"Retry-After": "7"}))
    response = raw_api("alpha").request("GET", CONFIG)
    assert response.headers["retry-after"] == "7" and response.json()["data"] == {}
