"""Plan many leaders against the exchange: read each leader's live state, call the
pure planner.

Reads are economical (docs/contract.md §8): GET config per leader, and GET symbols or GET
orders/current only when the plan needs them (`planner.needs`). Leaders run
`parallelism` at a time; one leader's extra reads go together. All requests share
the connection's weight limiter, so more parallelism never means more than the
exchange's budget. One leader's bad answer makes that leader `error`; a ban
(418) or an interrupt stops the whole run.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from typing import Callable

from reconciler import spec
from reconciler.errors import InviteCodeError, LeaderctlError, UsageError
from reconciler.live import config_symbols, live_from_api, settings_from_config, with_reads
from reconciler.model import Desired, LeaderPlan, LeaderSpec, Live, Plan, Reading
from reconciler.planner import error_plan, needs, plan_leader

Warn = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def select(desired: Desired, names: tuple[str, ...] | list[str] | None) -> list[LeaderSpec]:
    """The leaders a run covers (`--leader`), in config order."""
    if not names:
        return list(desired.leaders.values())
    unknown = [n for n in names if n not in desired.leaders]
    if unknown:
        raise UsageError(f"no leader named {', '.join(unknown)} in the config (known: {', '.join(desired.leaders) or 'none'})")
    return [desired.leaders[n] for n in dict.fromkeys(names)]


def with_invite_code(leader: LeaderSpec, warn: Warn) -> LeaderSpec:
    """Fill the invite code from `code_env`; an unset variable leaves the code unmanaged."""
    if not leader.invite_code_env or not leader.settings.invite_required:
        return leader
    code = os.environ.get(leader.invite_code_env)
    if not code:
        warn(f"warning: leader {leader.name}: {leader.invite_code_env} (invite.code_env) is not set: the invite code is left as it is on the exchange")
        return leader
    if not spec.INVITE_CODE.acceptable(code):
        raise InviteCodeError(f"leader {leader.name}: the invite code in {leader.invite_code_env} must be {spec.INVITE_CODE.rule_text()}")
    return replace(leader, settings=replace(leader.settings, invite_code=code))


def read_config(client) -> tuple[Live, dict]:
    """GET config (and GET symbols only when the config does not list the enabled pairs)."""
    config = client.get_config()
    if config_symbols(config) is None:
        return live_from_api(config, client.get_symbols()), config
    return live_from_api(config), config


def read_live(client, leader: LeaderSpec, pool: Executor | None = None) -> Live:
    """What the plan of `leader` needs: GET config, then only the reads it calls for."""
    config = client.get_config()
    enabled = config_symbols(config)
    first = Live(settings_from_config(config), enabled or ())
    if enabled is None:  # the config does not list the enabled pairs: GET symbols does
        first = with_reads(first, True, client.get_symbols())
    need = needs(leader, first)
    calls = []
    if need.symbols and first.available is None:
        calls.append(("symbols", client.get_symbols))
    if need.orders:
        calls.append(("orders", client.get_current_orders))
    if not calls:
        return first
    if pool is not None and len(calls) > 1:
        futures = [(name, pool.submit(call)) for name, call in calls]
        answers = {name: f.result() for name, f in futures}
    else:
        answers = {name: call() for name, call in calls}
    return with_reads(first, False, answers.get("symbols"), answers.get("orders"))


def sealed(plan: LeaderPlan, client) -> LeaderPlan:
    """`plan` bound to the sensitive values its PUT carries and to the account (keyed hashes)."""
    from reconciler.binding import sensitive_values

    values = sensitive_values(plan.body)
    plan.sealed = None if values is None else client.keyed_hash("sensitive", values)
    plan.account = client.account_hash()
    return plan


def _problem_text(error: LeaderctlError) -> tuple[str, int | None]:
    """The message and code of a per-leader error, the code shown once."""
    from reconciler.exchange import ExchangeError

    if isinstance(error, ExchangeError):
        return error.detail, error.code
    return str(error), None


class LivePlanner:
    """Plans a set of leaders against one session (the I/O around the pure planner)."""

    def __init__(self, session, *, warn: Warn = _stderr):
        self.session = session
        self.warn = warn

    def plan(self, leaders: list[LeaderSpec], *, paths=(), config_fingerprint=None) -> tuple[Plan, dict[str, Reading]]:
        """The plan, and per leader the Reading the applier continues from (the session's
        progress shows the leaders read)."""
        from reconciler.progress import READING, progress_of

        parallel = self.session.parallelism
        leaders_pool = ThreadPoolExecutor(parallel, thread_name_prefix="leader")
        requests_pool = ThreadPoolExecutor(parallel * 2, thread_name_prefix="request")
        plans, readings = [], {}
        try:
            with progress_of(self.session).phase(READING, len(leaders)) as tally:
                futures = [leaders_pool.submit(self._one, leader, requests_pool, tally) for leader in leaders]
                for leader, fut in zip(leaders, futures):
                    plan, reading = fut.result()
                    plans.append(plan)
                    readings[leader.name] = reading
        finally:  # on a ban or an interrupt: no new leader starts, nothing waits for the rest
            leaders_pool.shutdown(wait=False, cancel_futures=True)
            requests_pool.shutdown(wait=False, cancel_futures=True)
        conn = getattr(self.session, "conn", None)
        where = "sandbox" if getattr(self.session, "use_sandbox", False) else getattr(conn, "endpoint", None)
        return Plan(leaders=plans, config_fingerprint=config_fingerprint, paths=tuple(paths), endpoint=where), readings

    def _one(self, leader: LeaderSpec, pool, tally) -> tuple[LeaderPlan, Reading]:
        try:
            leader = with_invite_code(leader, self.warn)
            client = self.session.client(leader)
            live = read_live(client, leader, pool)
        except LeaderctlError as e:  # this leader's credentials, answers or errors: this leader only
            if e.stops_run:  # a ban or an interrupt: stop everything
                raise
            tally.done(leader.name)
            return error_plan(leader, *_problem_text(e)), Reading(leader)
        planned = sealed(plan_leader(leader, live), client), Reading(leader, client, live)
        tally.done(leader.name)
        return planned
