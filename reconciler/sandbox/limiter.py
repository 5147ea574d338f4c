"""Request weight per client IP over a rolling minute, with 429 then 418 (docs/exchange-api.md §3)."""
from __future__ import annotations

import math
import threading
import time
from collections import deque

from reconciler.sandbox.codes import banned_message, rate_limited_message
from reconciler.sandbox.wire import Response

WINDOW_SECONDS = 60.0
BAN_AFTER_STRIKES = 3  # requests sent after a 429 before its Retry-After elapsed


class RateLimiter:
    """Over the limit a request gets 429 (-1003) and a Retry-After (seconds until the
    window frees a slot). An IP that sends BAN_AFTER_STRIKES more requests before
    that Retry-After elapsed is banned: 418 (-1003, "IP(...) banned until <ms>") for
    `ban_seconds`, every request meanwhile included.
    """

    def __init__(self, weight_per_minute: int, ban_seconds: int):
        self.limit = weight_per_minute
        self.ban_seconds = ban_seconds
        self._lock = threading.Lock()
        self._used: dict[str, deque[float]] = {}
        self._limited_until: dict[str, float] = {}
        self._strikes: dict[str, int] = {}
        self._banned_until: dict[str, float] = {}

    def admit(self, ip: str, weight: int = 1, now: float | None = None) -> Response | None:
        """None if the request may proceed, else the 429/418 answer."""
        now = time.monotonic() if now is None else now
        with self._lock:
            banned = self._banned_until.get(ip, 0.0)
            if banned > now:
                return self._banned(ip, banned, now)
            used = self._used.setdefault(ip, deque())
            while used and used[0] <= now - WINDOW_SECONDS:
                used.popleft()
            if len(used) + weight <= self.limit:
                used.extend([now] * weight)
                self._strikes[ip] = 0
                return None
            if self._limited_until.get(ip, 0.0) > now:
                self._strikes[ip] = self._strikes.get(ip, 0) + 1
                if self._strikes[ip] >= BAN_AFTER_STRIKES:
                    self._banned_until[ip] = now + self.ban_seconds
                    return self._banned(ip, now + self.ban_seconds, now)
            retry_after = max(1, math.ceil(used[0] + WINDOW_SECONDS - now)) if used else 1
            self._limited_until[ip] = now + retry_after
            headers = {"Retry-After": str(retry_after)}
            return Response.wrapped(-1003, rate_limited_message(self.limit), status=429, headers=headers)

    @staticmethod
    def _banned(ip: str, until: float, now: float) -> Response:
        seconds = max(1, math.ceil(until - now))
        until_ms = int((time.time() + (until - now)) * 1000)
        headers = {"Retry-After": str(seconds)}
        return Response.wrapped(-1003, banned_message(ip, until_ms), status=418, headers=headers)
