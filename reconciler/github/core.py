"""Every call `leaderctl github` and `leaderctl init github` make into the rest of
leaderctl, in one place: load the config, open a session, plan, apply, render,
report. When the core's API changes, this module is the one to rewire.
"""
from __future__ import annotations

import os


def load(paths):
    """The desired state; raises ConfigError (every issue) on an invalid config."""
    from reconciler.config import load_desired

    return load_desired(list(paths))


def select(desired, leaders):
    from reconciler.runner import select as run_select

    return run_select(desired, tuple(leaders or ()))


def variables(specs) -> list[str]:
    """Every environment variable these leaders read, leader by leader: key, secret, invite code."""
    names: dict[str, None] = {}
    for spec in specs:
        names[spec.credentials.api_key_env] = None
        names[spec.credentials.api_secret_env] = None
        if spec.invite_code_env:
            names[spec.invite_code_env] = None
    return list(names)


def credential_variables(specs) -> list[str]:
    names: list[str] = []
    for spec in specs:
        names += [spec.credentials.api_key_env, spec.credentials.api_secret_env]
    return names


def has_any_credentials(specs) -> bool:
    """False when not one credential variable is set: a fork or Dependabot run without secrets."""
    return any(os.environ.get(name) for name in credential_variables(specs))


def connect(sandbox: bool, timeout: float | None = None):
    from reconciler.operations import Connect

    return Connect(sandbox=sandbox, timeout=timeout)


def plan(paths, leaders, sandbox: bool, *, desired=None, timeout: float | None = None):
    """(desired, plan) for the selected leaders, as `leaderctl plan` makes it (`desired`: already loaded)."""
    from reconciler import operations

    return operations.plan(paths, tuple(leaders or ()), connect(sandbox, timeout), desired=desired)


def refresh_read(paths, leaders, sandbox: bool, *, timeout: float | None = None):
    """What `leaderctl refresh` starts from (its `plan` is the drift's plan): one read of the exchange."""
    from reconciler import refresh

    return refresh.read(list(paths), tuple(leaders or ()), connect(sandbox, timeout))


def refresh_proposal(reading):
    """The checked edits of `leaderctl refresh` (refresh.Refresh); raises RefreshRefused."""
    from reconciler import refresh

    return refresh.proposal(reading)


def apply(paths, leaders, sandbox: bool, *, verify, show, timeout: float | None = None):
    """(desired, result) of `leaderctl apply --auto-approve`, refused unless `verify(plan)`
    accepts the plan made now (a reviewed one); without `verify`, the safety thresholds
    apply as without --force."""
    from reconciler import operations

    request = operations.ApplyRequest(
        paths=tuple(paths), leaders=tuple(leaders or ()), auto_approve=True,
        force=verify is not None,  # the reviewed plan showed every removal
        verify=verify,
    )
    return operations.apply(request, connect(sandbox, timeout), show=show, confirm=lambda: False)


def unconverged(result):
    """The plan of what did not converge (what annotations should still point at)."""
    from reconciler.model import CONVERGED, Plan

    return Plan(leaders=[r.plan for r in result.leaders if r.result not in CONVERGED])


def plan_exit(plan, detailed: bool) -> int:
    return plan.exit_code(detailed)


def plan_dict(plan) -> dict:
    from reconciler.render.as_json import plan_dict as as_dict

    return as_dict(plan)


def render(plan, fmt: str) -> str:
    from reconciler.render import render_plan

    return render_plan(plan, fmt)


def render_result(result, fmt: str) -> str:
    from reconciler.render import render_result as rr

    return rr(result, fmt)


def render_drift(plan, fmt: str) -> str:
    from reconciler.render import render_drift as rd

    return rd(plan, fmt)


def status(lp) -> str:
    return str(lp.status)


# ---------------------------------------------------------------- reports (summary + annotations)


def report(markdown: str, plan, specs) -> None:
    from reconciler import gitops

    gitops.report(markdown, plan, specs)


def report_failure(command: str, error: BaseException) -> None:
    from reconciler import gitops

    gitops.report_failure(command, error)


def step_summary(markdown: str) -> None:
    from reconciler import gitops

    gitops.step_summary(markdown)
