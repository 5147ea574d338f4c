"""The client over real HTTP against the sandbox: signing, every error code, every fault."""
from __future__ import annotations

import logging
import threading
import time
import traceback
from decimal import Decimal

import httpx
import pytest

from codes_kit import raises_code
from reconciler.exchange import (
    CODE,
    RetryPolicy,
    BannedError,
    Connection,
    ConnectionSettings,
    OutcomeUnknownError,
)
from reconciler.sandbox import Fault, Sandbox

CONFIG = "/api/v2/copy-trading/leader/config"
INVITE_CODE = "SECRET26"
DECIMALS = ("profitRate", "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin",
            "recommendShareRate")


@pytest.fixture
def acct(sandbox):
    return sandbox.ensure_account("desk-btc")


FAST_RETRY = RetryPolicy(backoff=0.01)


@pytest.fixture
def conn(sandbox):
    with Connection(sandbox.url, retry=FAST_RETRY, timeout=5) as c:
        yield c


@pytest.fixture
def client(conn, acct):
    return conn.leader(acct.api_key, acct.api_secret)


def body_of(config: dict, **changes) -> dict:
    """A PUT body from a GET config: timestamps as ints, decimals as Decimal."""
    body = {k: v for k, v in config.items() if k != "inviteCode"}
    body["unLeadStartTime"] = int(body["unLeadStartTime"])
    body["unLeadEndTime"] = int(body["unLeadEndTime"])
    for name in DECIMALS:
        body[name] = Decimal(body[name])
    body.update(changes)
    return body


def secrets_of(*accounts) -> list[str]:
    return [s for a in accounts for s in (a.api_key, a.api_secret, a.readonly_api_key, a.readonly_api_secret)]


def assert_secret_free(text: str, secrets: list[str]) -> None:
    assert "signature=" not in text
    for secret in secrets:
        assert secret not in text


def full_text(err: BaseException) -> str:
    return "".join(traceback.format_exception(err)) + repr(err)


# --- signing ---------------------------------------------------------------------------------


def test_signed_requests_are_accepted(sandbox, client):
    config = client.get_config()
    assert config["profitPeriod"] == 7 and isinstance(config["profitRate"], str)
    record = sandbox.requests[-1]
    assert (record.method, record.path, record.account, record.code) == ("GET", CONFIG, "desk-btc", 200)


def test_a_wrong_secret_is_rejected(sandbox, conn, acct):
    with raises_code(-1022) as info:
        conn.leader(acct.api_key, acct.readonly_api_secret).get_config()
    assert info.value.code == -1022 and str(info.value).startswith("the signature was rejected (-1022)")
    assert_secret_free(full_text(info.value), secrets_of(acct))
    assert len(sandbox.requests) == 1  # not retried


def test_put_config_round_trip_keeps_decimals_exact(sandbox, client):
    body = body_of(client.get_config(), profitRate=Decimal("0.125"), followAssetLowerLimit=Decimal("1E+2"),
                   unLeadType=1, unLeadStartTime=1798761600000, unLeadEndTime=1798934400000)
    client.put_config(body)
    sent = sandbox.requests[-1].body
    assert sent["profitRate"] == "0.125" and sent["followAssetLowerLimit"] == "100"
    assert sent["unLeadEndTime"] == 1798934400000
    after = client.get_config()
    assert Decimal(after["profitRate"]) == Decimal("0.125") and after["unLeadEndTime"] == "1798934400000"


# --- documented codes, from the sandbox's real rules ---------------------------------------


def test_read_only_key_reads_but_cannot_write(sandbox, conn, acct):
    readonly = conn.leader(acct.readonly_api_key, acct.readonly_api_secret)
    body = body_of(readonly.get_config())
    with raises_code(-1020) as info:
        readonly.put_config(body)
    assert str(info.value) == ("this API key is read-only (-1020): "
                               "plan works, apply needs a key with write permission")
    with raises_code(-1020):
        readonly.remove_follower(1)


def test_non_leader_accounts(sandbox, conn):
    nolead = sandbox.ensure_account("nolead", leader=False)
    client = conn.leader(nolead.api_key, nolead.api_secret)
    for call in (client.get_config, client.get_symbols, client.get_current_orders, client.get_followers):
        with raises_code(-120041) as info:
            call()
        assert "not an active copy-trading leader (-120041)" in str(info.value)
    with raises_code(-120047):
        client.remove_follower(1)


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"symbolIds": ["ETH-SWAP-USDT"]}, -32090),  # BTC has a current lead order
        ({"leadPositionType": 1}, -32093),
        ({"unLeadType": 1, "unLeadStartTime": 1717286400000, "unLeadEndTime": 1717200000000}, -120078),
        ({"profitRate": Decimal("0.9")}, -120072),
        ({"recommendShare": 1, "recommendShareRate": Decimal("0")}, -120072),
        ({"isNeedInvite": 1, "inviteCode": "abc"}, -120512),
        ({"isNeedInvite": 1, "inviteCode": "TOOBIT88"}, -120511),
        ({"profitPeriod": 30}, -1130),
        ({"unLeadType": None}, -1102),
    ],
)
def test_put_config_rules(sandbox, client, changes, code):
    before = client.get_config()
    body = {k: v for k, v in body_of(before, **changes).items() if v is not None}
    with raises_code(code) as info:
        client.put_config(body)
    assert info.value.code == code and info.value.endpoint == f"PUT {CONFIG}"
    assert client.get_config() == before  # nothing changed


def test_invalid_parameter_names_the_parameter(client):
    with raises_code(-1130) as info:
        client.get_trade_data(8)
    assert "'type'" in str(info.value) and "(-1130" in str(info.value)
    assert client.get_trade_data(30)[0]["tradingDays"] <= 30


def test_invite_code_taken_and_switch_rules(sandbox, conn, client):
    other = sandbox.ensure_account("desk-eth")
    other_client = conn.leader(other.api_key, other.api_secret)
    other_client.put_config(body_of(other_client.get_config(), isNeedInvite=1, inviteCode="DESKETH26"))
    with raises_code(-120510) as info:
        client.put_config(body_of(client.get_config(), isNeedInvite=1, inviteCode="desketh26"))
    assert "DESKETH26" not in (str(info.value) + repr(info.value)).upper()
    sandbox.account_state("desk-eth")["custom_profit_ratio"] = True
    sandbox.save()
    with raises_code(-120073):
        other_client.put_config(body_of(other_client.get_config(), isNeedInvite=0))


def test_missing_level_config(sandbox, client):
    body = body_of(client.get_config())
    del sandbox.account_state("desk-btc")["level"]
    sandbox.save()
    with raises_code(-120067):
        client.put_config(body)


def test_follower_removal_codes(sandbox, client):
    followers = sandbox.account_state("desk-btc")["followers"]
    free = next(f["user_id"] for f in followers if not f["has_position"])
    busy = next(f["user_id"] for f in followers if f["has_position"])
    client.remove_follower(free)
    with raises_code(-32045) as info:
        client.remove_follower(free)
    assert "already gone" in str(info.value)
    with raises_code(-120055):
        client.remove_follower(busy)


def test_unknown_and_malformed_keys(conn, acct):
    with raises_code(-2015):
        conn.leader("A" * 64, acct.api_secret).get_config()
    with raises_code(-2014):
        conn.leader("short-key", acct.api_secret).get_config()


@pytest.mark.parametrize("code", sorted(c for c in CODE if c not in (-1000, -1001, -1003, -1006, -1007, -1021)))
def test_every_documented_code_surfaces_typed(sandbox, client, code):
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="error_code", code=code))
    with raises_code(code) as info:
        client.get_config()
    assert info.value.code == code and f"({code}" in str(info.value)
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize("code", [-1000, -1001, -1006, -1007])
def test_unknown_and_internal_errors_retry_reads_but_not_writes(sandbox, client, code):
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="error_code", code=code, times=2))
    config = client.get_config()
    assert len(sandbox.requests) == 3
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="error_code", code=code))
    with pytest.raises(OutcomeUnknownError):
        client.put_config(body_of(config))
    assert len(sandbox.requests) == 4


# --- faults ------------------------------------------------------------------------------------


def test_5xx_before_a_put_is_an_unknown_outcome_and_nothing_changed(sandbox, client):
    before = client.get_config()
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="5xx_before", status=503))
    with pytest.raises(OutcomeUnknownError) as info:
        client.put_config(body_of(before, profitRate=Decimal("0.2")))
    assert info.value.http_status == 503 and "read the state back" in str(info.value)
    assert [r.method for r in sandbox.requests].count("PUT") == 1
    assert client.get_config() == before


def test_5xx_after_a_put_is_an_unknown_outcome_though_it_was_applied(sandbox, client):
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="5xx_after", status=502))
    with pytest.raises(OutcomeUnknownError):
        client.put_config(body_of(client.get_config(), profitRate=Decimal("0.2")))
    assert [r.method for r in sandbox.requests].count("PUT") == 1
    assert client.get_config()["profitRate"] == "0.2"  # reading back is the only way to know


def test_5xx_on_a_delete_is_not_retried(sandbox, client):
    user = next(f["user_id"] for f in sandbox.account_state("desk-btc")["followers"] if not f["has_position"])
    sandbox.inject(Fault(method="DELETE", kind="5xx_after", status=500))
    with pytest.raises(OutcomeUnknownError):
        client.remove_follower(user)
    assert len(sandbox.requests) == 1


def test_5xx_on_get_is_retried(sandbox, client):
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="5xx_before", times=2, status=503))
    assert client.get_config()["profitPeriod"] == 7
    assert [r.http_status for r in sandbox.requests] == [503, 503, 200]


def test_timeouts(sandbox, acct):
    with Connection(sandbox.url, timeout=0.3, retry=FAST_RETRY) as conn:
        client = conn.leader(acct.api_key, acct.api_secret)
        sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="timeout", delay=0.6))
        config = client.get_config()  # the first attempt timed out, the retry did not
        sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="timeout", delay=0.6))
        with pytest.raises(OutcomeUnknownError) as info:
            client.put_config(body_of(config, profitRate=Decimal("0.15")))
        assert info.value.kind == "ReadTimeout"
        assert client.get_config()["profitRate"] == "0.15"  # it was applied after all
    assert [r.method for r in sandbox.requests].count("PUT") == 1


def test_latency_is_only_slower(sandbox, client):
    sandbox.inject(Fault(method="GET", kind="latency", delay=0.2))
    started = time.monotonic()
    client.get_symbols()
    assert time.monotonic() - started >= 0.2


def test_429_waits_for_retry_after_then_succeeds(sandbox, client):
    sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="429", retry_after=1))
    started = time.monotonic()
    client.get_config()
    assert time.monotonic() - started >= 1.0
    assert [r.http_status for r in sandbox.requests] == [429, 200]


def test_429_on_a_write_is_retried_because_it_was_not_processed(sandbox, client):
    body = body_of(client.get_config(), profitRate=Decimal("0.11"))
    sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="429", retry_after=1))
    client.put_config(body)
    assert [r.http_status for r in sandbox.requests if r.method == "PUT"] == [429, 200]
    assert client.get_config()["profitRate"] == "0.11"


def test_418_stops_everything(tmp_path):
    with Sandbox(state_path=tmp_path / "s.json", weight_per_minute=2, ban_seconds=120) as sb:
        acct = sb.ensure_account("desk-btc")
        with httpx.Client(base_url=sb.url) as rude:  # someone else on this IP ignores the 429s
            statuses = [rude.get("/api/v1/time").status_code for _ in range(6)]
        assert statuses[-1] == 418
        seen = len(sb.requests)
        with Connection(sb.url) as conn:
            client = conn.leader(acct.api_key, acct.api_secret)
            with pytest.raises(BannedError) as info:
                client.get_config()
            assert "banned by the exchange" in str(info.value) and info.value.retry_after
            for call in (client.get_config, client.get_symbols, conn.server_time,
                         lambda: client.put_config({"unLeadType": 0})):
                with pytest.raises(BannedError):
                    call()
            assert len(sb.requests) == seen + 1  # only the one that was answered 418


@pytest.mark.parametrize("skew", ["client", "server"])
def test_clock_skew_is_corrected_once(sandbox, acct, skew):
    behind = (lambda: time.time_ns() // 1_000_000 - 20_000) if skew == "client" else None
    settings = ConnectionSettings(wall_ms=behind) if behind else ConnectionSettings()
    if skew == "server":
        sandbox.set_clock_offset(20_000)
    with Connection(sandbox.url, settings=settings) as conn:
        client = conn.leader(acct.api_key, acct.api_secret)
        client.put_config(body_of(client.get_config(), profitRate=Decimal("0.12")))
        codes = [(r.path, r.code) for r in sandbox.requests]
        assert codes == [(CONFIG, -1021), ("/api/v1/time", None), (CONFIG, 200), (CONFIG, 200)]
        assert 19_000 < conn.clock_offset_ms < 21_000


# --- limits ---------------------------------------------------------------------------------------


def test_the_client_budget_keeps_the_exchange_from_ever_answering_429(tmp_path):
    with Sandbox(state_path=tmp_path / "s.json", weight_per_minute=12) as sb:
        acct = sb.ensure_account("desk-btc")
        conn = Connection(sb.url, weight_per_minute=10)
        client = conn.leader(acct.api_key, acct.api_secret)
        outcomes: list[object] = []
        lock = threading.Lock()

        def call():
            try:
                result = client.get_symbols()
            except Exception as e:  # noqa: BLE001
                result = e
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=call) for _ in range(30)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while len(outcomes) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the other 20 stay blocked in the limiter
        assert len(sb.requests) == 10 and len(outcomes) == 10
        assert all(isinstance(o, list) for o in outcomes)
        conn.close()  # wakes the waiters with an error instead of waiting out the minute
        for t in threads:
            t.join(5)
        assert len(outcomes) == 30 and sum(isinstance(o, RuntimeError) for o in outcomes) == 20
        assert len(sb.requests) == 10
        assert all(r.http_status != 429 for r in sb.requests)


# --- pagination -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [7, 10, 100])
def test_iter_followers_returns_every_follower(sandbox, client, size):
    expected = [f["followerNickname"] for f in sandbox.account_state("desk-btc")["followers"]]
    assert len(expected) > 20
    assert [f["followerNickname"] for f in client.iter_followers(size=size)] == expected
    page = client.get_followers(1, size)
    assert page.total == len(expected) and page.pages == -(-len(expected) // size)


def test_iter_order_history_returns_every_order(sandbox, client):
    assert len(list(client.iter_order_history(size=10))) == len(sandbox.account_state("desk-btc")["orders_history"])


# --- secrets ------------------------------------------------------------------------------------


def test_no_secret_in_any_output(sandbox, acct, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    with Connection(sandbox.url, verbose=True, retry=FAST_RETRY) as conn:
        client = conn.leader(acct.api_key, acct.api_secret)
        sandbox.inject(Fault(method="GET", path_prefix=CONFIG, kind="5xx_before"))
        client.get_config()
        client.get_symbols()
        list(client.iter_followers(size=10))
        sandbox.inject(Fault(method="PUT", path_prefix=CONFIG, kind="5xx_after"))
        for call in (lambda: client.put_config(body_of(client.get_config(), isNeedInvite=1, inviteCode=INVITE_CODE)),
                     lambda: conn.leader(acct.api_key, acct.readonly_api_secret).get_config(),
                     lambda: client.remove_follower(1)):
            try:
                call()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        text = "\n".join(
            f"{r.name} {r.getMessage()}" for r in caplog.records if not r.name.startswith("reconciler.sandbox")
        )
        out = capsys.readouterr()
        assert "GET /api/v2/copy-trading/leader/config -> HTTP 503, code -1001, weight 1, attempt 1, " in text
        assert len(errors) == 3
        secrets = [*secrets_of(acct), INVITE_CODE]
        for blob in (text, out.out, out.err, repr(conn), repr(client), *(full_text(e) for e in errors)):
            assert_secret_free(blob, secrets)


def test_the_callers_advice_reaches_the_error(sandbox, acct):
    """The app's own rule text comes in through ConnectionSettings (the package imports no app rule)."""
    from reconciler.spec import EXCHANGE_ADVICE, INVITE_CODE

    settings = ConnectionSettings(retry=FAST_RETRY, timeout=5, advice=EXCHANGE_ADVICE)
    with Connection(sandbox.url, settings=settings) as conn:
        client = conn.leader(acct.api_key, acct.api_secret)
        with raises_code(-120512) as info:
            client.put_config(body_of(client.get_config(), isNeedInvite=1, inviteCode="abc"))
    assert str(info.value) == f"the invite code format is invalid (-120512): use {INVITE_CODE.rule_text()}"
    assert "abc" not in str(info.value)
