"""The weight budget learnt from exchangeInfo (exchange/budget.py, Connection.learn_budget):
parsing good and bad answers, the fallback, the ledger cache, and that the environment only lowers it."""
from __future__ import annotations

import logging

import pytest

from reconciler.exchange import budget
from reconciler.sandbox import Sandbox
from reconciler.session import Session


def _weight(limit, interval="MINUTE", num=1, kind="REQUEST_WEIGHT"):
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}


GOOD = [
    ({"rateLimits": [_weight(3000)]}, 3000),
    ({"rateLimits": [_weight("6000", num="2")]}, 3000),  # numbers as strings; per minute
    ({"rateLimits": [_weight(3000), _weight(1500)]}, 1500),  # the smallest wins
    ({"rateLimits": [_weight(3000), _weight(60000, "HOUR")]}, 1000),  # an hour's share per minute
    ({"rateLimits": [_weight(3000), {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100}]}, 3000),
    ({"timezone": "UTC", "serverTime": 1, "rateLimits": [_weight(2400)], "symbols": []}, 2400),
    ({"code": 200, "data": {"rateLimits": [_weight(3000)]}}, 3000),  # wrapped
    ({"rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "limit": 900}]}, 900),  # intervalNum 1
]
BAD = [
    None, "3000", 3000, [], {}, {"rateLimits": None}, {"rateLimits": {}}, {"rateLimits": []},
    {"rateLimits": [_weight(3000, kind="ORDERS")]},  # no REQUEST_WEIGHT
    {"rateLimits": [_weight(100, "SECOND")]},  # cannot be kept by a per-minute limiter
    {"rateLimits": [_weight(3000), _weight(100, "SECOND")]},
    {"rateLimits": [_weight(3000, "WEEK")]},
    {"rateLimits": [_weight(3000), "REQUEST_WEIGHT"]},
    {"rateLimits": [_weight(None)]}, {"rateLimits": [_weight(True)]}, {"rateLimits": [_weight(3000.5)]},
    {"rateLimits": [_weight("3e3")]}, {"rateLimits": [_weight(-5)]}, {"rateLimits": [_weight(0)]},
    {"rateLimits": [_weight(3000, num=0)]}, {"rateLimits": [_weight(3000, num=-1)]}, {"rateLimits": [_weight(3000, num=None)]},
    {"rateLimits": [_weight(10**12)]},  # unreasonable: would lift every limit
    {"rateLimits": [_weight(5)]},  # unreasonable the other way
    {"rateLimits": [_weight("١٢٠٠")]},  # non-ASCII digits
]


@pytest.mark.parametrize(("answer", "expected"), GOOD)
def test_good_answers(answer, expected):
    assert budget.weight_per_minute(answer) == expected


@pytest.mark.parametrize("answer", BAD)
def test_bad_answers_are_not_a_budget(answer):
    assert budget.weight_per_minute(answer) is None


def _session_budget(sb, monkeypatch, env: str | None) -> tuple[int, str]:
    monkeypatch.delenv("LEADERCTL_WEIGHT_PER_MINUTE", raising=False)
    if env is not None:
        monkeypatch.setenv("LEADERCTL_WEIGHT_PER_MINUTE", env)
    with Session(sb.url, verbose=True) as session:  # -v: the budget line is logged
        session.expect_requests(budget.FALLBACK)  # a run that may need more than the conservative budget
        return session.conn.limiter.budget, session.conn.budget_source


@pytest.mark.parametrize(("env", "expected"), [(None, 3000), ("5000", 3000), ("500", 500), ("3000", 3000)])
def test_the_environment_only_lowers_the_learnt_budget(monkeypatch, env, expected):
    with Sandbox(weight_per_minute=3000) as sb:
        assert _session_budget(sb, monkeypatch, env) == (expected, "exchange")


@pytest.mark.parametrize("answer", [{"rateLimits": [_weight(10**9)]}, {"rateLimits": "lots"}, b"not json", None])
def test_a_malformed_or_missing_exchange_info_falls_back_to_1200(monkeypatch, caplog, answer):
    from reconciler.sandbox import server
    from reconciler.sandbox.wire import Response

    real = server.Sandbox._dispatch

    def dispatch(self, req):
        if req.path == budget.PATH:
            if answer is None:
                return Response.wrapped(-1000, "unknown", status=404)
            return Response(200, answer) if not isinstance(answer, bytes) else Response(200, None)
        return real(self, req)

    monkeypatch.setattr(server.Sandbox, "_dispatch", dispatch)
    caplog.set_level(logging.INFO, logger="leaderctl.requests")
    with Sandbox(weight_per_minute=3000) as sb:
        for env in (None, "5000"):
            assert _session_budget(sb, monkeypatch, env) == (1200, "fallback")  # never raised by the env
        assert _session_budget(sb, monkeypatch, "700") == (700, "fallback")
    assert "weight budget 1200 per minute: the conservative default" in caplog.text


def test_the_learnt_budget_is_cached_per_endpoint_in_the_ledger(monkeypatch):
    with Sandbox(weight_per_minute=3000) as sb:
        for _ in range(3):
            assert _session_budget(sb, monkeypatch, None) == (3000, "exchange")
        reads = [r for r in sb.requests if r.path == budget.PATH]
    # a loopback sandbox's ledger is known from its first answer: exchangeInfo itself, so each run reads it;
    # what matters here is the remote case below
    assert len(reads) == 3
    from reconciler.exchange import ledger

    ledger.add("exchange.example:443", 60.0, [], budget=(2400, 4e9))
    assert ledger.load("exchange.example:443", 60.0)["budget"]["weight_per_minute"] == 2400
    ledger.add("stale.example:443", 60.0, [], budget=(2400, 1.0))
    assert "budget" not in ledger.load("stale.example:443", 60.0)


def test_a_keyed_endpoint_reads_exchange_info_once_then_uses_the_cache():
    from reconciler.exchange import Connection

    with Sandbox(weight_per_minute=2500) as sb:
        for _ in range(3):
            with Connection(sb.url, ledger=True, learn_budget=True, weight_per_minute=budget.MAX_REASONABLE) as conn:
                assert conn.learn_budget() == 2500 and conn.limiter.budget == 2500
        assert [r.path for r in sb.requests].count(budget.PATH) == 1


@pytest.mark.parametrize(("requests", "reads"), [(1, 0), (budget.FALLBACK // 2, 0), (budget.FALLBACK // 2 + 1, 1)])
def test_the_budget_is_learnt_only_by_runs_that_may_need_it(monkeypatch, requests, reads):
    monkeypatch.delenv("LEADERCTL_WEIGHT_PER_MINUTE", raising=False)
    with Sandbox(weight_per_minute=3000) as sb:
        with Session(sb.url) as session:
            session.expect_requests(requests)
            session.expect_requests(requests)  # once a run at most
            budget_now = session.conn.limiter.budget
        assert len([r for r in sb.requests if r.path == budget.PATH]) == reads
    assert budget_now == (3000 if reads else budget.FALLBACK)
