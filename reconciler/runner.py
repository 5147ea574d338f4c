"""Plan many leaders at once: fetch each leader's live state and call the planner.

Leaders run `parallelism` at a time; each leader's three GETs run together. All
requests share the connection's weight limiter, so more parallelism never means
more than the exchange's budget.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Callable

from reconciler.config import CHINESE
from reconciler.errors import CredentialsError
from reconciler.live import fetch_live
from reconciler.model import Desired, LeaderPlan, LeaderSpec, Plan
from reconciler.planner import error_plan, plan_leader

Warn = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def select(desired: Desired, names: tuple[str, ...] | list[str] | None) -> list[LeaderSpec]:
    """The leaders a run covers (`--leader`), in config order."""
    from reconciler.errors import UsageError

    if not names:
        return list(desired.leaders.values())
    unknown = [n for n in names if n not in desired.leaders]
    if unknown:
        raise UsageError(f"no leader named {', '.join(unknown)} in the config (known: {', '.join(desired.leaders) or 'none'})")
    return [desired.leaders[n] for n in dict.fromkeys(names)]


def with_invite_code(spec: LeaderSpec, warn: Warn) -> LeaderSpec:
    """Fill the invite code from `code_env`; an unset variable leaves the code unmanaged."""
    if not spec.invite_code_env or not spec.settings.invite_required:
        return spec
    code = os.environ.get(spec.invite_code_env)
    if not code:
        warn(f"warning: leader {spec.name}: {spec.invite_code_env} (invite.code_env) is not set: the invite code is left as it is on the exchange")
        return spec
    if not 6 <= len(code) <= 10 or CHINESE.search(code):
        raise CredentialsError(f"leader {spec.name}: the invite code in {spec.invite_code_env} must be 6 to 10 characters without Chinese characters")
    return replace(spec, settings=replace(spec.settings, invite_code=code))


class Planner:
    """Plans a set of leaders against one session."""

    def __init__(self, session, *, warn: Warn = _stderr, progress: bool | None = None):
        self.session = session
        self.warn = warn
        self.progress = progress

    def plan(self, leaders: list[LeaderSpec], *, paths=(), config_fingerprint=None) -> tuple[Plan, dict]:
        """Returns the plan and, per leader, (client, live) for the applier to reuse."""
        n = len(leaders)
        show = self.progress if self.progress is not None else n > 1
        done = 0
        contexts: dict[str, tuple] = {}
        parallel = self.session.parallelism
        with ThreadPoolExecutor(parallel, thread_name_prefix="leader") as leaders_pool, ThreadPoolExecutor(
            parallel * 3, thread_name_prefix="request"
        ) as requests_pool:
            futures = [leaders_pool.submit(self._one, spec, requests_pool) for spec in leaders]
            plans = []
            for spec, fut in zip(leaders, futures):
                plan, ctx = fut.result()
                plans.append(plan)
                contexts[spec.name] = ctx
                done += 1
                if show:
                    self.warn(f"[{done}/{n}] {spec.name}: {plan.status.replace('_', ' ')}")
        return Plan(leaders=plans, config_fingerprint=config_fingerprint, paths=tuple(paths)), contexts

    def _one(self, spec: LeaderSpec, pool) -> tuple[LeaderPlan, tuple]:
        from reconciler.exchange import BannedError, ExchangeError

        try:
            spec = with_invite_code(spec, self.warn)
            client = self.session.client(spec)
            live = fetch_live(client, pool)
        except BannedError:
            raise  # the exchange banned this IP: stop everything
        except (ExchangeError, CredentialsError) as e:
            return error_plan(spec, str(e), getattr(e, "code", None)), (spec, None, None)
        except ValueError as e:
            return error_plan(spec, f"unreadable answer from the exchange: {e}"), (spec, None, None)
        return plan_leader(spec, live), (spec, client, live)
