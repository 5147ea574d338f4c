"""Back-to-back runs share one weight budget through the ledger (ledger.py)."""
from __future__ import annotations

import json

import httpx
import pytest

from reconciler.exchange import BannedError, Connection, RetryPolicy
from reconciler.exchange import ledger


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADERCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_second_run_starts_with_the_first_runs_spending(sandbox):
    acct = sandbox.ensure_account("alpha")
    with Connection(sandbox.url, weight_per_minute=20, ledger=True) as first:
        client = first.leader(acct.api_key, acct.api_secret)
        for _ in range(15):
            client.get_symbols()
    with Connection(sandbox.url, weight_per_minute=20, ledger=True) as second:
        assert second.limiter.in_use == 15
        client = second.leader(acct.api_key, acct.api_secret)
        for _ in range(5):
            client.get_symbols()
        assert second.limiter.try_acquire() is None  # the budget of this minute is spent
    assert all(r.http_status == 200 for r in sandbox.requests)
    # without the ledger a connection knows nothing of earlier runs
    with Connection(sandbox.url, weight_per_minute=20) as unaware:
        assert unaware.limiter.in_use == 0


def test_a_ban_stops_the_next_run_before_it_sends_anything():
    sent = []

    def banned(request):
        sent.append(request.url.path)
        return httpx.Response(418, headers={"Retry-After": "120"})

    endpoint = "http://127.0.0.1:9"
    with Connection(endpoint, transport=httpx.MockTransport(banned), ledger=True, retry=RetryPolicy(retries=0)) as first:
        with pytest.raises(BannedError):
            first.leader("k" * 64, "s" * 64).get_config()
    assert len(sent) == 1
    with Connection(endpoint, transport=httpx.MockTransport(banned), ledger=True) as second:
        with pytest.raises(BannedError) as err:
            second.leader("k" * 64, "s" * 64).get_config()
    assert len(sent) == 1  # nothing sent by the second run
    assert "earlier leaderctl run" in str(err.value)


def test_the_ledger_holds_only_times_per_host(sandbox, cache):
    acct = sandbox.ensure_account("alpha")
    with Connection(sandbox.url, ledger=True) as conn:
        conn.leader(acct.api_key, acct.api_secret).get_config()
    text = (cache / ledger.FILE).read_text()
    assert acct.api_key not in text and acct.api_secret not in text and "signature" not in text
    assert sandbox.url.split("//")[1] in text


def test_an_unwritable_cache_costs_only_the_protection(sandbox, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LEADERCTL_CACHE_DIR", str(blocker / "sub"))
    acct = sandbox.ensure_account("alpha")
    with Connection(sandbox.url, ledger=True) as conn:
        assert conn.leader(acct.api_key, acct.api_secret).get_config()


def test_by_default_only_remote_endpoints_keep_a_ledger():
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"code": 200, "data": {}}))
    with Connection("http://127.0.0.1:9", transport=transport, ledger=None) as local:
        assert local._ledger_host is None
    with Connection("https://api.toobit.com", transport=transport, ledger=None) as remote:
        assert remote._ledger_host == "api.toobit.com"


def test_a_loopback_sandbox_is_keyed_by_its_instance(sandbox, cache):
    """ledger=None (what a run uses): a loopback endpoint that names its sandbox instance
    shares the budget across runs against that instance only; one that names none keeps none."""
    from reconciler.sandbox import Sandbox

    acct = sandbox.ensure_account("alpha")
    with Connection(sandbox.url, weight_per_minute=20, ledger=None) as first:
        assert first.limiter.in_use == 0
        client = first.leader(acct.api_key, acct.api_secret)
        for _ in range(6):
            client.get_symbols()
    (key,) = json.loads((cache / "weight.json").read_text())
    assert key == f"{sandbox.url.split('//', 1)[1]}#{sandbox.instance}"
    with Connection(sandbox.url, weight_per_minute=20, ledger=None) as second:
        second.leader(acct.api_key, acct.api_secret).get_symbols()  # its first answer names the instance
        assert second.limiter.in_use == 7  # the first run's 6, and this one
    with Sandbox() as fresh:  # another instance (a restarted sandbox): a clean record
        other = fresh.ensure_account("alpha")
        with Connection(fresh.url, weight_per_minute=20, ledger=None) as third:
            third.leader(other.api_key, other.api_secret).get_symbols()
            assert third.limiter.in_use == 1

    def plain(request):  # a loopback test exchange that names no instance
        return httpx.Response(200, json={"code": 200, "data": []})

    before = (cache / "weight.json").read_text()
    with Connection("http://127.0.0.1:9", transport=httpx.MockTransport(plain), ledger=None) as unnamed:
        unnamed.leader("k" * 64, "s" * 64).get_symbols()
    assert (cache / "weight.json").read_text() == before
