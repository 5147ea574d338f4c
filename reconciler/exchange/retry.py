"""The one retry policy: how many resends, how long between them.

Used for every resend the client makes: reads after a 5XX, a transient code or a
lost connection; writes only when they provably never reached the exchange (the
connection never opened, 429, -1021). Nothing else in the package loops.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` resends after the first attempt, exponential backoff with jitter, capped."""

    retries: int = 3
    backoff: float = 0.25  # seconds before the first resend
    cap: float = 8.0  # no single wait longer than this
    jitter: float = 0.5  # each wait is scaled by a random factor in [1 - jitter, 1]

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0 or self.cap < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("retries, backoff and cap must be >= 0, jitter within 0..1")

    def allows(self, resends_so_far: int) -> bool:
        """May one more resend follow `resends_so_far` earlier ones?"""
        return resends_so_far < self.retries

    def delay(self, resend: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before resend number `resend` (1-based)."""
        base = min(self.cap, self.backoff * 2 ** max(0, resend - 1))
        return base * (1 - self.jitter * rand())
