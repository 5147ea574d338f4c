"""Signing, recvWindow, API key kinds and account kinds, as NOTES.md section 2 says."""
import httpx
import pytest

from reconciler.sandbox import sign

VECTOR_SECRET = "30lfjDT51iOG1kYZnDoLNynOyMdIcmQyO1XYfxzYOmQfx9tjiI98Pzio4uhZ0Uk2"
VECTOR_PAYLOAD = "recvWindow=5000&timestamp=1717200000000"
VECTOR_DIGEST = "e02e1a0c8de99db2ead6c144d587c54eb40feac513bdd0e5836a2e0a9fc2dec7"

READ_PATHS = ["/orders/current", "/orders/history", "/trade-data", "/profit-sharings/history",
              "/symbols", "/config", "/followers"]


def test_sign_matches_the_documented_vector():
    assert sign(VECTOR_SECRET, VECTOR_PAYLOAD) == VECTOR_DIGEST


def test_documented_vector_is_accepted_over_http(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.account_state("alpha")["api_secret"] = VECTOR_SECRET
    sandbox.set_clock_offset(1717200000000 - sandbox.now_ms() + sandbox.clock_offset_ms)
    body = api.get("/config", query=f"{VECTOR_PAYLOAD}&signature={VECTOR_DIGEST}")
    assert body["code"] == 200


def test_server_time_is_public_and_unwrapped(sandbox):
    body = httpx.get(f"{sandbox.url}/api/v1/time").json()
    assert set(body) == {"serverTime"} and abs(body["serverTime"] - sandbox.now_ms()) < 5000


def test_wrong_secret_is_an_invalid_signature(sandbox, raw_api):
    assert raw_api("alpha").get("/config", secret="not-the-secret")["code"] == -1022
    assert sandbox.requests[-1].account == "alpha"


def test_tampered_query_is_an_invalid_signature(raw_api):
    api = raw_api()
    tampered = api.signed_query({"page": 1}).replace("page=1", "page=2")
    assert api.get("/followers", query=tampered)["code"] == -1022


def test_stale_and_future_timestamps_are_outside_recv_window(sandbox, raw_api):
    api = raw_api()
    now = sandbox.now_ms()
    assert api.get("/config", timestamp=now - 6000)["code"] == -1021
    assert api.get("/config", timestamp=now + 6000)["code"] == -1021
    assert api.get("/config", timestamp=now - 6000, recv_window=10000)["code"] == 200
    assert api.get("/config", timestamp=now - 6000, recv_window=None)["code"] == -1021  # default 5000


def test_recv_window_above_maximum_is_invalid(raw_api):
    assert raw_api().get("/config", recv_window=60001)["code"] == -1130


def test_clock_skew_is_visible_through_server_time(sandbox, raw_api):
    sandbox.set_clock_offset(30_000)
    assert raw_api().get("/config")["code"] == -1021
    assert httpx.get(f"{sandbox.url}/api/v1/time").json()["serverTime"] - sandbox.now_ms() < 1000


@pytest.mark.parametrize("query, code", [
    ("recvWindow=5000", -1102),                       # no timestamp
    ("recvWindow=5000&timestamp=abc&signature=00", -1102),
    ("recvWindow=5000&timestamp=1", -1102),           # no signature
])
def test_missing_or_malformed_signing_parameters(raw_api, query, code):
    assert raw_api().get("/config", query=query)["code"] == code


@pytest.mark.parametrize("key, code", [("", -2015), ("not a key!", -2014), ("A" * 64, -2015)])
def test_missing_malformed_and_unknown_keys(raw_api, key, code):
    assert raw_api().get("/config", api_key=key)["code"] == code


def test_read_only_key_reads_but_cannot_write(raw_api, base_config):
    ro = raw_api("alpha", readonly=True)
    for path in READ_PATHS:
        assert ro.get(path)["code"] == 200, path
    assert ro.put_config(base_config) == {"code": -1020, "msg": "This operation is not supported.", "data": None}
    assert ro.delete_follower(100000001)["code"] == -1020


def test_non_leader_gets_documented_codes(raw_api, base_config):
    api = raw_api("plain", leader=False)
    for path in READ_PATHS:
        body = api.get(path)
        assert (body["code"], body["msg"]) == (-120041, "Copy trading leader is not available."), path
    assert api.put_config(base_config)["code"] == -120041
    assert api.delete_follower(100000001) == {"code": -120047, "msg": "Leader does not exist.", "data": None}


def test_unknown_path_and_wrong_method(sandbox, raw_api):
    api = raw_api()
    response = api.request("GET", "/api/v2/copy-trading/leader/nope")
    assert response.status_code == 404 and response.json()["code"] == -1000
    assert api.request("POST", "/api/v2/copy-trading/leader/config").status_code == 405


def test_requests_are_recorded(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.clear_requests()
    api.get("/followers", {"page": 2, "size": 5})
    api.put_config(base_config)
    first, second = sandbox.requests
    assert (first.method, first.path, first.account, first.http_status, first.code) == (
        "GET", "/api/v2/copy-trading/leader/followers", "alpha", 200, 200)
    assert first.query["page"] == "2" and first.body is None
    assert second.method == "PUT" and second.body == base_config
