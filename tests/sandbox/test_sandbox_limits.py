"""Weight limits (429 then 418), injected faults, and latency without serialising."""
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reconciler.sandbox import Fault, Sandbox

CONFIG = "/api/v2/copy-trading/leader/config"


def test_burst_gets_429_with_retry_after_then_418(tmp_path):
    with Sandbox(weight_per_minute=5, ban_seconds=7) as sb:
        url = f"{sb.url}/api/v1/time"
        with httpx.Client() as http:
            responses = [http.get(url) for _ in range(12)]
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 5 + [429] * 3 + [418] * 4
    limited = responses[5]
    assert limited.json()["code"] == -1003 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert responses[-1].json()["code"] == -1003 and 1 <= int(responses[-1].headers["Retry-After"]) <= 7
    assert [r.http_status for r in sb.requests] == statuses


def test_limiter_window_frees_and_ban_expires():
    from reconciler.sandbox.limiter import RateLimiter

    limiter = RateLimiter(weight_per_minute=2, ban_seconds=30)

    def status(now, ip="ip"):
        answer = limiter.admit(ip, now=now)
        return 200 if answer is None else answer.status

    assert [status(0), status(1)] == [200, 200]
    limited = limiter.admit("ip", now=10)
    assert limited.status == 429 and limited.headers["Retry-After"] == "50"  # slot of t=0 frees at 60
    assert [status(61), status(62)] == [200, 200]  # waited as told: no strikes; both old slots free
    assert status(62, ip="other") == 200  # counted per IP
    # a 429, then three more requests before its Retry-After elapsed: banned
    assert [status(63), status(64), status(65), status(66)] == [429, 429, 429, 418]
    assert status(95) == 418
    assert status(200) == 200


def test_5xx_before_does_not_apply(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="5xx_before", status=503))
    response = api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2"))
    assert response.status_code == 503
    assert api.get("/config")["data"]["profitRate"] == "0.08"
    assert api.put_config(dict(base_config, profitRate="0.2"))["code"] == 200  # times=1: used up


def test_5xx_after_applies(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="5xx_after", status=502))
    assert api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2")).status_code == 502
    assert api.get("/config")["data"]["profitRate"] == "0.2"


def test_timeout_applies_then_answers_too_late(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    sandbox.inject(Fault(method="PUT", kind="timeout", delay=0.5))
    with pytest.raises(httpx.ReadTimeout):
        api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2"), timeout=0.1)
    assert api.get("/config")["data"]["profitRate"] == "0.2"


def test_429_and_error_code_faults(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.inject(Fault(path_prefix="/api/v2/copy-trading/leader/symbols", kind="429", retry_after=3, times=2))
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="error_code", code=-1000, times=None))
    first = api.request("GET", "/api/v2/copy-trading/leader/symbols")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert api.get("/symbols")["code"] == -1003
    assert api.get("/symbols")["code"] == 200
    for _ in range(3):
        assert api.get("/config") == {"code": -1000, "msg": "unknown", "data": None}
    sandbox.clear_faults()
    assert api.get("/config")["code"] == 200


def test_latency_fault_delays_one_request(sandbox, raw_api):
    api = raw_api("alpha")
    sandbox.inject(Fault(kind="latency", delay=0.3))
    started = time.monotonic()
    assert api.get("/symbols")["code"] == 200
    assert time.monotonic() - started >= 0.3


def test_latency_does_not_serialise_requests(sandbox):
    sandbox.set_latency(0.2)
    url = f"{sandbox.url}/api/v1/time"
    with httpx.Client(limits=httpx.Limits(max_connections=20)) as http:
        http.get(url)  # warm up
        started = time.monotonic()
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(lambda _: http.get(url).status_code, range(10)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 10
    assert 0.2 <= elapsed < 1.6  # serialised, it would take 2 s
