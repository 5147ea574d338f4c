"""Everything a Connection can be told, in one frozen value."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .retry import RetryPolicy

MAX_BODY = 16 * 1024 * 1024  # bytes of an answer, counted after decompression
MAX_PAUSE = 300.0  # a 429 asking for a longer wait stops the run instead of hanging it


def wall_ms() -> int:
    """The local wall clock, epoch milliseconds (what request timestamps are made of)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class ConnectionSettings:
    """How one Connection behaves. Defaults are the production values.

    - timeout: seconds for each request as a whole (connect, send, every byte of
      the answer), retries not included; the CLI's --timeout / LEADERCTL_TIMEOUT.
    - recv_window: ms the exchange accepts a signed request after its timestamp.
    - weight_per_minute / window_seconds: the client-side weight budget; with learn_budget,
      the cap on the budget learnt from the exchange (Connection.learn_budget, budget.py).
    - retry: the resend policy (see retry.py).
    - max_pause: longest 429 Retry-After waited out; longer stops every request.
    - max_connections: pool size (parallel requests in flight).
    - verbose: one line per request to the `leaderctl.requests` logger.
    - env_proxies: use HTTPS_PROXY/ALL_PROXY/NO_PROXY for https endpoints
      (never for loopback); `env` is where to read them (None: os.environ).
    - max_body: largest answer body read, after decompression.
    - wall_ms: the clock request timestamps come from (epoch ms).
    - ledger: share the weight budget with earlier runs (None: remote hosts, and loopback
      sandboxes that name their instance; ledger.py).
    - advice: what to do about an exchange code, where the caller knows better than
      the code table (errors.CODES), e.g. the invite-code format the app's spec defines.
    """

    timeout: float = 30.0
    recv_window: int = 5000
    weight_per_minute: int = 1200
    learn_budget: bool = False
    window_seconds: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_pause: float = MAX_PAUSE
    max_connections: int = 64
    verbose: bool = False
    env_proxies: bool = True
    env: Mapping[str, str] | None = field(default=None, repr=False)
    max_body: int = MAX_BODY
    wall_ms: Callable[[], int] = field(default=wall_ms, repr=False)
    ledger: bool | None = False
    advice: Mapping[int, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.timeout < float("inf"):
            raise ValueError("timeout must be a positive number of seconds")
        if self.max_body < 1 or self.max_connections < 1 or self.max_pause < 0:
            raise ValueError("max_body and max_connections must be >= 1, max_pause >= 0")
