"""Client-side request-weight budget, so the exchange never answers 429 because of us.

A rolling window: a request holds its weight from the moment it is admitted until
`window_seconds` after its response ended. The exchange counts a request when it
arrives, which is between those two moments, so within ANY window of that length
the exchange sees at most `weight_per_minute` weight from this limiter, whatever
the latency, concurrency or the exchange's own window alignment.

An optional observer (`observe()`) is told what the limiter does, for a progress
display: `admitted(weight)` as each request is let through (it is then sent),
`paused(seconds)` when every request is held back (the exchange answered 429, or an
earlier run's pause carried over), `throttled(seconds)` when a request waits for the
budget. It is called with the limiter's lock held, from the request threads: it
must be quick, never block and never call the limiter.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class Ticket:
    """One admitted request: its weight, and when its response ended (None: in flight)."""

    __slots__ = ("weight", "done_at", "inherited")

    def __init__(self, weight: int, inherited: bool = False):
        self.weight = weight
        self.done_at: float | None = None
        self.inherited = inherited  # spent by an earlier run (preload)


class Observer(Protocol):
    """What a limiter tells its observer (see the module docstring)."""

    def admitted(self, weight: int) -> None: ...

    def paused(self, seconds: float) -> None: ...

    def throttled(self, seconds: float) -> None: ...


class WeightLimiter:
    """Thread-safe weight budget shared by every request to one host."""

    def __init__(
        self,
        weight_per_minute: int = 1200,
        *,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        observer: Observer | None = None,
    ):
        if weight_per_minute < 1:
            raise ValueError("weight_per_minute must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.budget = weight_per_minute
        self.window = window_seconds
        self._clock = clock
        self._cond = threading.Condition()
        self._tickets: list[Ticket] = []
        self._used = 0
        self._next_expiry = float("inf")  # nothing can expire before this: no scan needed
        self._paused_until = float("-inf")
        self._halt: Callable[[], BaseException] | None = None
        self._observer = observer

    def set_budget(self, weight_per_minute: int) -> None:
        """A new budget from now on (learnt from the exchange); weight already counted stays."""
        if weight_per_minute < 1:
            raise ValueError("weight_per_minute must be at least 1")
        with self._cond:
            self.budget = weight_per_minute
            self._cond.notify_all()

    def observe(self, observer: Observer | None) -> None:
        """Tell `observer` from now on (None: nobody); a pause already on is told at once."""
        with self._cond:
            self._observer = observer
            left = self._paused_until - self._clock()
            if observer is not None and left > 0:
                observer.paused(left)

    # -- admission ------------------------------------------------------------------

    def try_acquire(self, weight: int = 1) -> Ticket | None:
        """Admit now if the budget allows and no pause is on; else None."""
        with self._cond:
            self._check_halt()
            return self._admit(weight) if self._delay(weight, self._clock()) == 0 else None

    def acquire(self, weight: int = 1, check: Callable[[], None] | None = None) -> Ticket:
        """Block until `weight` fits in the window and no pause is on, then admit.

        `check` runs before admission and whenever the wait is woken (wake()); it
        raises to give up, e.g. after an interrupt. It must not use this limiter.
        """
        self._check_weight(weight)
        with self._cond:
            while True:
                self._check_halt()
                if check is not None:
                    check()
                now = self._clock()
                delay = self._delay(weight, now)
                if delay == 0:
                    return self._admit(weight)
                # None: every slot is in flight; a release() will wake us.
                if delay is not None and self._observer is not None and now >= self._paused_until:
                    self._observer.throttled(delay)
                self._cond.wait(delay)

    def release(self, ticket: Ticket) -> None:
        """The response has ended: the weight now expires `window` seconds from here."""
        with self._cond:
            if ticket.done_at is None:
                ticket.done_at = self._clock()
                self._next_expiry = min(self._next_expiry, ticket.done_at + self.window)
            self._cond.notify_all()

    @contextmanager
    def slot(self, weight: int = 1, check: Callable[[], None] | None = None) -> Iterator[Ticket]:
        """Hold `weight` for the duration of one request."""
        ticket = self.acquire(weight, check)
        try:
            yield ticket
        finally:
            self.release(ticket)

    # -- pause and halt -------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Admit nothing, in any thread, for `seconds` (the exchange said 429)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
            if self._observer is not None and seconds > 0:
                self._observer.paused(seconds)
            self._cond.notify_all()

    def paused_remaining(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        with self._cond:
            return max(0.0, self._paused_until - self._clock())

    def wake(self) -> None:
        """Wake every waiting acquire so that it runs its `check` again now."""
        with self._cond:
            self._cond.notify_all()

    def halt(self, error: Callable[[], BaseException]) -> None:
        """Stop for good: every waiting and later acquire raises `error()` (a ban, a close)."""
        with self._cond:
            if self._halt is None:
                self._halt = error
            self._cond.notify_all()

    def preload(self, done_at: list[float]) -> None:
        """Count weight that earlier runs spent (end times on this limiter's clock)."""
        with self._cond:
            for end in done_at:
                ticket = Ticket(1, inherited=True)
                ticket.done_at = end
                self._tickets.append(ticket)
                self._used += 1
                self._next_expiry = min(self._next_expiry, end + self.window)
            self._expire(self._clock())

    def spent(self) -> list[float]:
        """End times of this run's weight still counted (one entry per unit of weight)."""
        with self._cond:
            self._expire(self._clock())
            return [t.done_at for t in self._tickets if t.done_at is not None and not t.inherited for _ in range(t.weight)]

    @property
    def paused_until(self) -> float:
        with self._cond:
            return self._paused_until

    @property
    def in_use(self) -> int:
        """Weight currently counted against the budget."""
        with self._cond:
            self._expire(self._clock())
            return self._used

    # -- internals (call with the lock held) ----------------------------------------

    def _check_weight(self, weight: int) -> None:
        if not 1 <= weight <= self.budget:
            raise ValueError(f"weight must be between 1 and {self.budget}")

    def _check_halt(self) -> None:
        if self._halt is not None:
            raise self._halt()

    def _expire(self, now: float) -> None:
        if now < self._next_expiry:
            return  # a scan would find nothing: keeps admission O(1) with a full window
        live = [t for t in self._tickets if t.done_at is None or t.done_at + self.window > now]
        self._tickets = live
        self._used = sum(t.weight for t in live)
        self._next_expiry = min((t.done_at + self.window for t in live if t.done_at is not None), default=float("inf"))

    def _delay(self, weight: int, now: float) -> float | None:
        """0 to admit now, else seconds to wait (None: until a release)."""
        self._check_weight(weight)
        if now < self._paused_until:
            return self._paused_until - now
        self._expire(now)
        if self._used + weight <= self.budget:
            return 0
        # Earliest time enough finished weight has expired to fit `weight`.
        need = self._used + weight - self.budget
        for expiry, w in sorted((t.done_at + self.window, t.weight) for t in self._tickets if t.done_at is not None):
            need -= w
            if need <= 0:
                return max(expiry - now, 1e-3)
        return None

    def _admit(self, weight: int) -> Ticket:
        ticket = Ticket(weight)
        self._tickets.append(ticket)
        self._used += weight
        if self._observer is not None:
            self._observer.admitted(weight)
        return ticket
