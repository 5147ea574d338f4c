"""The weight limiter: never more than the budget in any window, pause, halt, threads."""
from __future__ import annotations

import threading
import time

import pytest

from reconciler.exchange.limiter import WeightLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_eleventh_request_waits_until_the_window_frees():
    clock = FakeClock()
    lim = WeightLimiter(10, clock=clock)
    tickets = [lim.try_acquire() for _ in range(10)]
    assert all(tickets)
    assert lim.try_acquire() is None  # budget spent
    clock.now += 1
    for t in tickets:
        lim.release(t)  # responses ended at t=1001
    clock.now += 59.9
    assert lim.try_acquire() is None  # 59.9 s after the responses: still counted
    clock.now += 0.1
    assert lim.try_acquire() is not None  # one slot expired...
    assert lim.in_use == 1


def test_weight_in_flight_never_expires():
    clock = FakeClock()
    lim = WeightLimiter(2, clock=clock)
    lim.try_acquire()
    lim.try_acquire()
    clock.now += 3600  # a request that hangs does not free its slot
    assert lim.try_acquire() is None


def test_heavier_requests_need_enough_expired_weight():
    clock = FakeClock()
    lim = WeightLimiter(5, clock=clock)
    first = lim.try_acquire(3)
    lim.release(first)
    clock.now += 10
    second = lim.try_acquire(2)
    lim.release(second)
    assert lim.try_acquire(1) is None
    clock.now += 50  # first expired, 3 free
    assert lim.try_acquire(3) is not None
    with pytest.raises(ValueError):
        lim.try_acquire(6)  # could never fit


def test_pause_blocks_everyone_until_it_ends():
    clock = FakeClock()
    lim = WeightLimiter(100, clock=clock)
    lim.pause(5)
    assert lim.try_acquire() is None
    assert lim.paused_remaining() == pytest.approx(5)
    lim.pause(1)  # a shorter pause never shortens the current one
    clock.now += 4.9
    assert lim.try_acquire() is None
    clock.now += 0.1
    assert lim.try_acquire() is not None


def test_blocking_acquire_waits_for_the_window():
    lim = WeightLimiter(3, window_seconds=0.3)
    for _ in range(3):
        with lim.slot():
            pass
    started = time.monotonic()
    with lim.slot():
        pass
    assert time.monotonic() - started >= 0.25


def test_blocking_acquire_waits_for_a_pause():
    lim = WeightLimiter(100, window_seconds=5)
    lim.pause(0.3)
    started = time.monotonic()
    lim.acquire()
    assert time.monotonic() - started >= 0.28


def test_halt_wakes_waiters_with_the_error():
    lim = WeightLimiter(1, window_seconds=60)
    lim.acquire()  # never released: the next acquire waits
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            lim.acquire()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.1)
    assert thread.is_alive()
    lim.halt(lambda: RuntimeError("banned"))
    thread.join(2)
    assert not thread.is_alive()
    assert [str(e) for e in errors] == ["banned"]
    with pytest.raises(RuntimeError):
        lim.try_acquire()


def test_many_threads_never_exceed_the_budget_in_any_window():
    budget, window = 5, 0.25
    lim = WeightLimiter(budget, window_seconds=window)
    arrivals: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            with lim.slot():
                with lock:
                    arrivals.append(time.monotonic())  # "the exchange sees it" inside the slot
                time.sleep(0.005)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    arrivals.sort()
    assert len(arrivals) == 24
    for i in range(len(arrivals) - budget):
        assert arrivals[i + budget] - arrivals[i] >= window - 1e-3


class Recorder:
    """An observer that records what the limiter tells it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []

    def admitted(self, weight: int) -> None:
        self.events.append(("admitted", weight))

    def paused(self, seconds: float) -> None:
        self.events.append(("paused", seconds))

    def throttled(self, seconds: float) -> None:
        self.events.append(("throttled", seconds))


def test_the_observer_is_told_of_admissions_and_pauses():
    clock = FakeClock()
    seen = Recorder()
    lim = WeightLimiter(3, clock=clock, observer=seen)
    lim.try_acquire(2)
    assert lim.try_acquire(2) is None  # refused: not admitted, nothing told
    lim.pause(4)
    lim.pause(0)  # no pause: nothing told
    assert seen.events == [("admitted", 2), ("paused", 4)]


def test_observe_tells_a_pause_already_on_and_can_be_undone():
    clock = FakeClock()
    lim = WeightLimiter(3, clock=clock)
    lim.pause(10)  # e.g. an earlier run's pause, loaded before anyone observed
    clock.now += 4
    seen = Recorder()
    lim.observe(seen)
    assert seen.events == [("paused", pytest.approx(6))]
    lim.observe(None)
    clock.now += 6
    lim.try_acquire()
    assert seen.events == [("paused", pytest.approx(6))]


def test_a_request_waiting_for_the_budget_is_told_as_throttled():
    seen = Recorder()
    lim = WeightLimiter(1, window_seconds=0.2, observer=seen)
    with lim.slot():
        pass
    with lim.slot():  # waits up to 0.2 s for the first one's weight to expire
        pass
    kinds = [kind for kind, _ in seen.events]
    assert kinds[0] == "admitted" and kinds[-1] == "admitted" and "throttled" in kinds
    assert all(0 < s <= 0.2 for kind, s in seen.events if kind == "throttled")
