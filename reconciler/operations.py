"""The core of each command, for the CLI and for `leaderctl github`: load, plan,
check, apply. No printing and no exit codes here (the callers render); the
policy is here: what is refused, when, and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from reconciler.config import load_desired
from reconciler.errors import UsageError

if TYPE_CHECKING:  # imported where used: `validate` loads the config and nothing of planning
    from reconciler.model import Desired, Plan, Result


@dataclass(frozen=True)
class Connect:
    """How to reach the exchange for one run."""

    endpoint: str | None = None
    sandbox: bool = False
    parallelism: int = 8
    timeout: float | None = None
    verbose: bool = False
    progress: bool = True  # on stderr (reconciler.progress); False: --quiet

    def session(self):
        from reconciler.session import Session

        return Session(self.endpoint, sandbox=self.sandbox, parallelism=self.parallelism, timeout=self.timeout,
                       verbose=self.verbose, progress=self.progress)


def load(paths) -> Desired:
    return load_desired(list(paths))


def make_plan(desired: Desired, paths, leaders, session) -> tuple[Plan, dict]:
    """Read the live state of the selected leaders and plan them."""
    from reconciler import planfile, windows
    from reconciler.runner import LivePlanner, select

    chosen = select(desired, leaders)
    at = windows.now()  # read before any request: a bad LEADERCTL_NOW sends nothing
    session.expect_requests(len(chosen))
    the_plan, readings = LivePlanner(session).plan(chosen, paths=[str(p) for p in paths], config_fingerprint=planfile.config_fingerprint(desired))
    return windows.hold_plan(the_plan, desired.policy, at), readings


def plan(paths, leaders, connect: Connect, *, desired: Desired | None = None) -> tuple[Desired, Plan]:
    """Read and plan (`desired`: the config, if already loaded); the first Ctrl-C or
    SIGTERM stops it at once (KeyboardInterrupt)."""
    from reconciler.interrupts import Interrupts

    desired = desired or load(paths)
    with connect.session() as session, Interrupts(session.conn):
        the_plan, _ = make_plan(desired, paths, leaders, session)
    return desired, the_plan


@dataclass
class ApplyRequest:
    paths: tuple = ()
    leaders: tuple = ()
    plan_file: Path | None = None
    auto_approve: bool = False
    force: bool = False
    ignore_windows: bool = False  # write leaders the policy's windows hold (the report says so)
    interactive: bool = False  # a terminal to ask on
    # raises when the plan made now is not the one that was reviewed (a pull request's comment)
    verify: Callable[[Plan], None] | None = field(default=None, repr=False)


def apply(req: ApplyRequest, connect: Connect, *, show: Callable[[Plan], None], confirm: Callable[[], bool]) -> tuple[Desired, Result]:
    """Plan, refuse what was not reviewed or is unsafe, ask, write, read back.

    Raises (nothing written): UsageError, PlanFileError, StalePlanError, UnsafePlan,
    ConfigError, whatever `verify` raises, KeyboardInterrupt (a signal while planning).
    """
    from reconciler import planfile
    from reconciler.interrupts import Interrupts

    paths, leaders, saved = _what_to_apply(req)
    desired = load(paths)
    if not req.auto_approve and not req.interactive:
        raise UsageError("apply needs confirmation but there is no terminal: pass --auto-approve (nothing was written)")
    with connect.session() as session, Interrupts(session.conn) as interrupts:
        the_plan, readings = make_plan(desired, paths, leaders, session)
        if saved is not None:
            planfile.check_fresh(saved, desired, the_plan)
        if req.verify is not None:
            req.verify(the_plan)
        the_plan.raise_if_unsafe(req.force, desired.policy)
        show(the_plan)
        writing = [lp for lp in the_plan.leaders if lp.writes and (lp.held is None or req.ignore_windows)]
        if writing and not req.auto_approve and not confirm():
            raise UsageError("apply cancelled: nothing was written")
        from reconciler import windows
        from reconciler.applier import Applier

        session.expect_requests(len(the_plan.leaders) + 3 * len(writing))  # the plan's reads, then read, write, read back

        applier = Applier(session, stop=interrupts.stop, ignore_windows=req.ignore_windows,
                          hold_now=(lambda lp: windows.hold_now(desired.policy, lp)) if desired.policy.windows else None)
        interrupts.writing(applier.writes)
        result = applier.apply(the_plan.leaders, readings)
    return desired, result


def _what_to_apply(req: ApplyRequest):
    if req.plan_file is None:
        if not req.paths:
            raise UsageError("give config PATHs (or --plan FILE)")
        return req.paths, req.leaders, None
    if req.paths:
        raise UsageError("give either config PATHs or --plan FILE, not both")
    if req.leaders:
        raise UsageError("--leader cannot narrow a saved plan: it applies exactly the leaders it names")
    from reconciler import planfile

    saved = planfile.load(req.plan_file)
    return saved.paths, tuple(lp.name for lp in saved.leaders), saved
