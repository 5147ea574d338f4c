"""Connection.interrupt() and abort() with real threads and a slow loopback server.

interrupt(): nothing new leaves (InterruptedRequest before sending), requests in
flight finish, reads that settle a write (settle=True) still go out.
abort(): also cancels reads in flight; writes in flight still finish.
Both wake threads waiting in the limiter (budget, 429 pause) or in a backoff.
"""
from __future__ import annotations

import threading
import time

import pytest

from exchange_httpkit import Answer, Server, wrapped
from reconciler.errors import LeaderctlError
from reconciler.exchange import (
    Connection,
    ExchangeError,
    InterruptedRequest,
    RetryPolicy,
)

KEY, SECRET = "kEy0123456789abcdefKEYKEY", "sEcReT0123456789abcdefSECRET"


class Background:
    """Run `fn` in a thread; `result` is its value or exception."""

    def __init__(self, fn):
        self.result = None
        self.finished_at = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as e:  # noqa: BLE001
            self.result = e
        self.finished_at = time.monotonic()

    def join(self, timeout=20):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "still running"
        return self.result


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def slow(seconds, **data):
    def respond(req):
        answer = wrapped(data=data or None)
        answer.delay = seconds if req.method != "GET" or "config" in req.path else 0
        return answer
    return respond


def test_after_interrupt_nothing_new_is_sent_but_settling_reads_are():
    with Server(lambda req: wrapped(data={"a": 1} if "config" in req.path else [])) as server:
        conn = Connection(server.url)
        leader = conn.leader(KEY, SECRET)
        leader.get_symbols()
        conn.interrupt()
        assert conn.interrupted
        for call in (leader.get_config, leader.get_symbols, lambda: leader.put_config({"unLeadType": 0}),
                     lambda: leader.remove_follower(3), conn.server_time):
            with pytest.raises(InterruptedRequest) as info:
                call()
            assert isinstance(info.value, LeaderctlError) and not isinstance(info.value, ExchangeError)
            assert str(info.value).startswith("interrupted: ")
        assert leader.get_config(settle=True) == {"a": 1}  # reading back a write already sent
        assert len(server.seen) == 2


def test_interrupt_lets_requests_in_flight_finish():
    with Server(slow(1.0, a=1)) as server:
        conn = Connection(server.url)
        leader = conn.leader(KEY, SECRET)
        write = Background(lambda: leader.put_config({"unLeadType": 0}))
        read = Background(leader.get_config)
        wait_until(lambda: len(server.seen) == 2)
        conn.interrupt()
        assert write.join() is None  # the PUT was answered: settled, not cut off
        assert read.join() == {"a": 1}


def test_abort_cancels_reads_in_flight_promptly_but_not_writes():
    with Server(slow(3.0, a=1)) as server:
        conn = Connection(server.url, timeout=30)
        leader = conn.leader(KEY, SECRET)
        write = Background(lambda: leader.put_config({"unLeadType": 0}))
        reads = [Background(leader.get_config) for _ in range(3)]
        wait_until(lambda: len(server.seen) == 4)
        aborted = time.monotonic()
        conn.abort()
        for read in reads:
            assert isinstance(read.join(), InterruptedRequest)
            assert read.finished_at - aborted < 2  # not the 3 s answer, not the 30 s deadline
        assert write.join() is None  # the write in flight was settled by its answer
        assert write.finished_at - aborted > 1.5
        with pytest.raises(InterruptedRequest):
            leader.get_config(settle=True)  # abort stops settling reads too
        assert len(server.seen) == 4


def test_a_thread_waiting_for_the_weight_budget_wakes_and_stops():
    with Server(lambda req: wrapped(data=[])) as server:
        conn = Connection(server.url, weight_per_minute=1)
        leader = conn.leader(KEY, SECRET)
        leader.get_symbols()  # the minute's budget is spent
        waiting = Background(leader.get_symbols)
        time.sleep(0.3)
        assert waiting.thread.is_alive()
        stopped = time.monotonic()
        conn.interrupt()
        assert isinstance(waiting.join(), InterruptedRequest)
        assert waiting.finished_at - stopped < 2
        assert len(server.seen) == 1


def test_a_thread_waiting_out_a_429_pause_wakes_and_stops():
    answers = iter([Answer(429, b"", {"Retry-After": "120"})])

    def respond(req):
        return next(answers, wrapped(data=[]))

    with Server(respond) as server:
        conn = Connection(server.url)
        waiting = Background(conn.leader(KEY, SECRET).get_symbols)
        wait_until(lambda: conn.limiter.paused_remaining() > 100)
        stopped = time.monotonic()
        conn.interrupt()
        assert isinstance(waiting.join(), InterruptedRequest)
        assert waiting.finished_at - stopped < 2
        assert len(server.seen) == 1


def test_a_thread_in_a_retry_backoff_wakes_and_stops():
    with Server(lambda req: Answer(503, b"")) as server:
        conn = Connection(server.url, retry=RetryPolicy(retries=3, backoff=60, cap=60, jitter=0))
        waiting = Background(conn.leader(KEY, SECRET).get_symbols)
        wait_until(lambda: len(server.seen) == 1)
        time.sleep(0.2)
        stopped = time.monotonic()
        conn.abort()
        assert isinstance(waiting.join(), InterruptedRequest)
        assert waiting.finished_at - stopped < 2
        assert len(server.seen) == 1


def test_interrupt_and_abort_are_safe_from_many_threads():
    with Server(slow(0.5, a=1)) as server:
        conn = Connection(server.url)
        leader = conn.leader(KEY, SECRET)
        reads = [Background(leader.get_config) for _ in range(6)]
        wait_until(lambda: len(server.seen) == 6)
        stoppers = [Background(conn.interrupt) for _ in range(4)] + [Background(conn.abort) for _ in range(4)]
        for s in stoppers:
            s.join()
        results = [r.join() for r in reads]
        assert all(r == {"a": 1} or isinstance(r, InterruptedRequest) for r in results)
        assert len(server.seen) == 6
