"""Where requests go: one connection per run, to the exchange or to an in-process sandbox.

Credentials are looked up here and handed straight to the client; they are
never stored on a model, printed, or saved.
"""
from __future__ import annotations

import os
from pathlib import Path

from reconciler.errors import CredentialsError
from reconciler.model import LeaderSpec

SANDBOX_STATE = Path(".leaderctl/sandbox.json")


def _weight_from_env() -> int | None:
    """LEADERCTL_WEIGHT_PER_MINUTE: a cap on the budget learnt from the exchange (it only lowers it)."""
    from reconciler.errors import UsageError

    raw = os.environ.get("LEADERCTL_WEIGHT_PER_MINUTE")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"LEADERCTL_WEIGHT_PER_MINUTE must be a positive integer (got {raw!r})")
    return int(raw)


def _timeout_from_env() -> float:
    """LEADERCTL_TIMEOUT: seconds for one request as a whole (default 30)."""
    from reconciler.errors import UsageError

    raw = os.environ.get("LEADERCTL_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise UsageError(f"LEADERCTL_TIMEOUT must be a number of seconds from 0 to 3600 (got {raw[:20]!r})")
    return value


class Session:
    """Opens the connection (and the sandbox, with --sandbox) for one command run."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        sandbox: bool = False,
        sandbox_state: Path = SANDBOX_STATE,
        parallelism: int = 8,
        weight_per_minute: int | None = None,
        timeout: float | None = None,
        verbose: bool = False,
        progress: bool = False,
    ):
        from reconciler.exchange import DEFAULT_ENDPOINT

        self.endpoint = endpoint or os.environ.get("LEADERCTL_ENDPOINT") or DEFAULT_ENDPOINT
        self.use_sandbox = sandbox
        self.sandbox_state = sandbox_state
        self.parallelism = max(1, parallelism)
        self.weight_per_minute = weight_per_minute or _weight_from_env()  # a cap; None: the exchange's
        self.timeout = timeout if timeout is not None else _timeout_from_env()
        self.verbose = verbose
        self.show_progress = progress  # on stderr; plain lines with -v (request lines)
        self.progress = None
        self.sandbox = None
        self.conn = None
        self._budget_learnt = False

    def __enter__(self) -> "Session":
        from reconciler.exchange import Connection, ConnectionSettings
        from reconciler.spec import EXCHANGE_ADVICE

        if self.use_sandbox:
            from reconciler.sandbox import Sandbox

            self.sandbox = Sandbox(state_path=self.sandbox_state).start()
            self.endpoint = self.sandbox.url
        try:
            from reconciler.exchange.budget import MAX_REASONABLE

            settings = ConnectionSettings(
                timeout=self.timeout,
                weight_per_minute=min(self.weight_per_minute or MAX_REASONABLE, MAX_REASONABLE),
                learn_budget=True,  # exchangeInfo's rateLimits, else 1200 (exchange/budget.py)
                max_connections=max(16, self.parallelism * 4),
                verbose=self.verbose,
                ledger=None,  # remote exchanges: share the minute's budget (and a ban) with the runs just before
                advice=EXCHANGE_ADVICE,
            )
            self.conn = Connection(self.endpoint, settings=settings)
            from reconciler.progress import Progress

            self.progress = Progress(enabled=self.show_progress, plain=self.verbose)
            self.conn.limiter.observe(self.progress.tally)  # requests and rate-limit waits
        except BaseException:
            self.__exit__()
            raise
        return self

    def expect_requests(self, n: int) -> None:
        """Before about `n` more requests: learn the weight budget the exchange publishes
        (`Connection.learn_budget`, once a run) when the conservative one may not be enough,
        more than half of it. A smaller run sends no request beyond its leaders' (one per
        leader in sync, docs/contract.md §8) and keeps the conservative budget."""
        from reconciler.exchange.budget import FALLBACK

        if self._budget_learnt or self.conn is None or n <= FALLBACK // 2:
            return
        self._budget_learnt = True
        self.conn.learn_budget()

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.sandbox is not None:
            self.sandbox.stop()

    def client(self, spec: LeaderSpec):
        """A client signed with this leader's key (from the environment, or the sandbox's)."""
        from reconciler import redact

        if self.sandbox is not None:
            account = self.sandbox.ensure_account(spec.name)
            redact.remember_leader(spec, key=account.api_key, secret=account.api_secret)
            return self.conn.leader(account.api_key, account.api_secret, spec.name)
        redact.remember_leader(spec)  # key, secret and invite codes: masked in all output from now on
        key = os.environ.get(spec.credentials.api_key_env)
        secret = os.environ.get(spec.credentials.api_secret_env)
        missing = [n for n, v in ((spec.credentials.api_key_env, key), (spec.credentials.api_secret_env, secret)) if not v]
        if missing:
            raise CredentialsError(f"leader {spec.name}: environment variable {' and '.join(missing)} not set: export the API key and secret of this leader")
        return self.conn.leader(key, secret, spec.name)
