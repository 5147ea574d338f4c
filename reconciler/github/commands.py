"""`leaderctl github validate|plan|apply|drift` and `leaderctl init github`.

The github commands run inside GitHub Actions (the action calls them); each
ends by appending `exitcode=N` to $GITHUB_OUTPUT, whatever happened.
"""
from __future__ import annotations

import os
import urllib.parse

import click

from reconciler.boundary import error_boundary

SUMMARY_LIMIT = 900_000  # GitHub takes up to 1 MiB of step summary per step


def _write_exitcode(code: int) -> None:
    from reconciler.github.actions_env import write_output

    write_output(os.environ.get("GITHUB_OUTPUT"), "exitcode", str(code))


def action_boundary(fn):
    """The commands' error boundary (`boundary.error_boundary`); every run records its exit code."""
    return error_boundary(finish=_write_exitcode)(fn)


def _options(fn):
    opts = [
        click.argument("paths", nargs=-1, required=True, type=click.Path()),
        click.option("--leader", "leaders", multiple=True, metavar="NAME", help="Limit the run to this leader (repeatable)."),
        click.option("--sandbox", is_flag=True, help="Use the embedded simulated exchange (.leaderctl/sandbox.json)."),
        click.option("--timeout", type=click.FloatRange(0, 3600, min_open=True), metavar="SECONDS",
                     help="Deadline of each request (GitHub's and the exchange's) as a whole (env LEADERCTL_TIMEOUT; default 30)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@click.group("github")
def github_group():
    """Run inside GitHub Actions: plan comments, reviewed applies, drift issues."""


# ---------------------------------------------------------------- helpers


def _context(*required: str):
    from reconciler import redact
    from reconciler.github.actions_env import ActionsEnv

    env = ActionsEnv.from_environ()
    redact.remember(env.token)  # masked by value in every output, like the leaders' secrets
    env.require(*required)
    return env


def _api(env):
    """The GitHub client, its deadline per request --timeout (before or after the command) or LEADERCTL_TIMEOUT."""
    from reconciler.github.api import GitHubApi
    from reconciler.session import _timeout_from_env

    given = _given_timeout()
    return GitHubApi(env.api_url, env.token, timeout=given if given is not None else _timeout_from_env())


def _connect(sandbox: bool):
    """How the core reaches the exchange: the embedded sandbox or the real one, with --timeout."""
    from reconciler.operations import Connect

    return Connect(sandbox=sandbox, timeout=_given_timeout())


def _any_credentials(specs) -> bool:
    """False when not one credential variable is set: a fork or Dependabot run without secrets."""
    return any(os.environ.get(spec.credentials.api_key_env) or os.environ.get(spec.credentials.api_secret_env) for spec in specs)


def _given_timeout() -> float | None:
    """--timeout after `github CMD` or before it (`leaderctl --timeout 5 github plan`); None: not given."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("timeout") is not None:
            return ctx.params["timeout"]
        ctx = ctx.parent
    return None


def _me(api):
    """Who the token writes as: the one author whose plan comments and drift issues are ours."""
    from reconciler.github.identity import Identity

    return Identity(api)


def _title(word: str, key: str) -> str:
    return f"## leaderctl {word} · `{key}`"


def _plan_markdown(plan, head: list[str], title: str, footer: str, *, summary: bool, overflow: str, drift: bool = False) -> str:
    """The one layout (`as_markdown.document`): the comment or issue within GitHub's limit,
    the step summary with every diff open."""
    from reconciler.render import as_markdown

    if summary:
        return as_markdown.document(plan, drift=drift, head=head, title=title, footer=footer, overflow=overflow,
                                    limit=SUMMARY_LIMIT, open_budget=SUMMARY_LIMIT)
    return as_markdown.document(plan, drift=drift, head=head, title=title, footer=footer, overflow=overflow)


def _overflow(env) -> str:
    where = f"[this run's step summary]({env.run_url})" if env.run_url else "this run's step summary"
    return f"The full plan is in {where}."


def _config_errors_markdown(key: str, error, intro: str, marker: str | None) -> str:
    from reconciler.github import comment
    from reconciler.render.escape import markdown_block

    text = str(error)
    room = comment.LIMIT - 2000
    block = markdown_block(text, "text")  # control characters escaped: it may grow
    while len(block) > room:
        text = text[: len(text) * room // len(block) - 100].rsplit("\n", 1)[0] + "\n… (cut: every error is in the run's log)"
        block = markdown_block(text, "text")
    lines = ([marker] if marker else []) + [_title("plan", key), "", intro, "", block]
    return "\n".join(lines) + "\n"


def _comment(api, me, env, pr, key: str, body: str, *, read_only_ok: bool) -> None:
    """Create or edit the comment; from a fork (read-only token) a refusal is only a warning."""
    from reconciler.github import comment
    from reconciler.github.api import GitHubError

    try:
        action, _ = comment.upsert(api, env.repository, pr.number, key, body, me)
        click.echo(f"plan comment {action} on pull request #{pr.number}", err=True)
    except GitHubError as e:
        if read_only_ok and e.status == 403:
            click.echo(f"warning: cannot comment with this run's read-only token ({e}); the step summary has the same text", err=True)
            return
        raise


def _mark_stale(api, me, env, pr, key: str, error: BaseException) -> None:
    from reconciler.errors import LeaderctlError
    from reconciler.github import comment

    reason = str(error) if isinstance(error, LeaderctlError) else f"internal error: {type(error).__name__}"
    try:
        if comment.mark_stale(api, env.repository, pr.number, key, reason, env.run_url, me):
            click.echo(f"marked the plan comment on pull request #{pr.number} stale", err=True)
    except Exception as e:  # noqa: BLE001 - the first error is the one to report
        click.echo(f"warning: could not mark the plan comment stale: {comment.one_line(str(e))}", err=True)


# ---------------------------------------------------------------- validate


@github_group.command("validate")
@_options
@action_boundary
def validate_cmd(paths, leaders, sandbox, timeout):
    """Validate the config offline; errors become annotations on their lines."""
    from reconciler.errors import ConfigError
    from reconciler.config import load_desired
    from reconciler.github import comment, step_report
    from reconciler.runner import select

    key = comment.path_key(paths)
    try:
        desired = load_desired(list(paths))
    except ConfigError as e:
        step_report.report_failure("validate", e)
        raise
    select(desired, tuple(leaders))
    n, f = len(desired.leaders), len(desired.files)
    message = f"valid: {n} leader{'s' if n != 1 else ''} in {f} file{'s' if f != 1 else ''}"
    step_report.step_summary(f"{_title('validate', key)}\n\n✅ {message}")
    click.echo(message)
    return 0


# ---------------------------------------------------------------- plan


@github_group.command("plan")
@_options
@action_boundary
def plan_cmd(paths, leaders, sandbox, timeout):
    """On a pull request: plan, and keep ONE comment per config path up to date."""
    from reconciler import operations
    from reconciler.errors import UsageError
    from reconciler.github import comment, step_report
    from reconciler.runner import select

    env = _context("GITHUB_REPOSITORY", "GITHUB_TOKEN")
    pr = env.pull_request()
    if env.event_name != "pull_request" or pr is None:
        raise UsageError(f"`leaderctl github plan` runs on pull_request events (this run is {env.event_name or 'not an event'}): use it in the plan job")
    api, key = _api(env), comment.path_key(paths)
    me = _me(api)
    desired = _load_or_say_why(api, me, env, pr, key, paths)
    try:
        specs = select(desired, tuple(leaders))
    except UsageError as e:
        _mark_stale(api, me, env, pr, key, e)
        raise
    if pr.from_fork or (not sandbox and not _any_credentials(specs)):
        return _not_planned(api, me, env, pr, key, len(desired.leaders))
    try:
        _, plan = operations.plan(paths, tuple(leaders), _connect(sandbox), desired=desired)
    except BaseException as e:
        if not isinstance(e, KeyboardInterrupt):
            step_report.report_failure("plan", e)
        _mark_stale(api, me, env, pr, key, e)
        raise
    return _post_plan(api, me, env, pr, key, plan, desired)


def _load_or_say_why(api, me, env, pr, key: str, paths):
    """The config; an invalid one replaces the plan comment with its errors (and raises)."""
    from reconciler.config import load_desired
    from reconciler.errors import ConfigError
    from reconciler.github import comment, step_report

    try:
        return load_desired(list(paths))
    except ConfigError as e:
        step_report.report_failure("plan", e)
        body = _config_errors_markdown(
            key, e, "❌ **The config is invalid**: nothing was planned. Fix these and push again:", comment.plan_marker(key, None)
        )
        _comment(api, me, env, pr, key, body + "\n" + _footer(env, pr) + "\n", read_only_ok=pr.from_fork)
        raise


def _not_planned(api, me, env, pr, key: str, leaders: int) -> int:
    """A fork (or a run without secrets): validated only, nothing sent to the exchange; exit 0."""
    from reconciler.github import comment, step_report

    why = "comes from a fork" if pr.from_fork else "runs without the repository's secrets (Dependabot, or none are set)"
    text = (
        f"🔒 **Not planned: the plan needs the base repository's secrets.** This pull request {why}, so its run "
        f"gets no API keys; leaderctl only validated the config: ✅ {leaders} leader{'s' if leaders != 1 else ''} valid. "
        "Nothing was sent to the exchange. To see the plan, push the branch to this repository (a maintainer can)."
    )
    body = "\n".join([comment.plan_marker(key, None), _title("plan", key), "", text, "", _footer(env, pr)]) + "\n"
    step_report.step_summary(f"{_title('plan', key)}\n\n{text}")
    _comment(api, me, env, pr, key, body, read_only_ok=True)
    click.echo(f"not planned: this pull request {why}; the config is valid ({leaders} leaders)")
    return 0


def _post_plan(api, me, env, pr, key: str, plan, desired) -> int:
    """The plan comment (with its digest), the step summary and annotations; the plan's exit code."""
    from reconciler.github import step_report
    from reconciler.github.digest import plan_digest
    from reconciler.render import render_plan

    digest = plan_digest(plan)
    body = comment_body(plan, env, pr, key, digest)
    summary = _plan_markdown(plan, [], _title("plan", key), f"<sub>plan_sha256 `{digest}`</sub>", summary=True,
                             overflow="The rest is in the job's log.")
    step_report.report(summary, plan, desired.leaders)
    click.echo(render_plan(plan, "text"), nl=False)
    _comment(api, me, env, pr, key, body, read_only_ok=False)
    click.echo(f"plan_sha256 {digest}")
    return plan.exit_code(False)


def comment_body(plan, env, pr, key: str, digest: str) -> str:
    """The plan comment: the marker (with the digest), the plan, a footer naming the digest."""
    from reconciler.github import comment

    footer = _footer(env, pr, f" Apply plans again after the merge and writes only if it is still this plan: plan_sha256 `{digest[:12]}`.")
    return _plan_markdown(plan, [comment.plan_marker(key, digest)], _title("plan", key), footer, summary=False, overflow=_overflow(env))


def _footer(env, pr, more: str = "") -> str:
    run = f" by [this run]({env.run_url})" if env.run_url else ""
    return f"<sub>Planned at `{pr.head_sha[:7] or '?'}`{run}. Nothing is written until this pull request is merged.{more}</sub>"


# ---------------------------------------------------------------- apply


@github_group.command("apply")
@_options
@click.option("--no-verify-plan", "no_verify", is_flag=True, help="Apply without checking the merged pull request's plan comment.")
@action_boundary
def apply_cmd(paths, leaders, sandbox, timeout, no_verify):
    """On a push to the default branch: apply, only if the plan is the one reviewed in the merged pull request."""
    from reconciler.config import load_desired
    from reconciler.errors import UsageError
    from reconciler.github import comment, review, step_report
    from reconciler.github.digest import plan_digest
    from reconciler.render import render_plan, render_result

    verify = not no_verify
    env = _context(*(("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_TOKEN") if verify else ()))
    key = comment.path_key(paths)
    default = env.default_branch()
    if default and env.ref != f"refs/heads/{default}":
        raise UsageError(f"refusing to apply from {env.ref or 'no ref'}: apply runs on pushes to the default branch ({default}); nothing was written")
    shown = {}

    def show(plan):
        shown["digest"] = plan_digest(plan)
        click.echo(render_plan(plan, "text"), nl=False)

    try:
        load_desired(list(paths))  # an invalid config is refused before GitHub is asked anything
        # the review first: without one, not even a read is sent to the exchange
        reviewed = review.reviewed_plan(api := _api(env), env.repository, env.sha, key, _me(api)) if verify else None
        desired, result = _apply(paths, leaders, sandbox, reviewed, show)
    except review.NotReviewedError as e:
        step_report.step_summary(f"{_title('apply', key)}\n\n⛔ {e}")
        raise
    except Exception as e:
        step_report.report_failure("apply", e)
        raise
    click.echo(render_result(result, "text"), nl=False)
    where = f" (reviewed in pull request #{reviewed.number})" if reviewed else " (plan not verified: verify-plan is off)"
    step_report.report(f"{render_result(result, 'markdown')}\nplan_sha256 `{shown['digest']}`{where}", result.unsettled(), desired.leaders)
    return result.exit_code()


def _apply(paths, leaders, sandbox: bool, reviewed, show):
    """(desired, result) of apply --auto-approve, refused unless the plan made now is the
    `reviewed` one; without a review (verify-plan off) the safety thresholds hold."""
    from reconciler import operations
    from reconciler.github import review
    from reconciler.github.digest import plan_digest

    same_as_reviewed = (lambda plan: review.check(reviewed, plan_digest(plan))) if reviewed else None
    request = operations.ApplyRequest(
        paths=tuple(paths), leaders=tuple(leaders), auto_approve=True,
        force=same_as_reviewed is not None,  # the reviewed plan showed every removal
        verify=same_as_reviewed,
    )
    return operations.apply(request, _connect(sandbox), show=show, confirm=lambda: False)


# ---------------------------------------------------------------- drift


@github_group.command("drift")
@_options
@click.option("--refresh-pr", "refresh_pr", is_flag=True,
              help="On drift, also propose the exchange's values as a pull request (leaderctl refresh); close it in sync.")
@action_boundary
def drift_cmd(paths, leaders, sandbox, timeout, refresh_pr):
    """On a schedule: keep one open `drift` issue per config path while the exchange differs."""
    from reconciler import operations, refresh
    from reconciler.github import comment, drift_issue, step_report
    from reconciler.github.digest import drift_digest
    from reconciler.render import render_drift

    env = _context("GITHUB_REPOSITORY", "GITHUB_TOKEN", *(("GITHUB_SHA",) if refresh_pr else ()))
    api = _api(env)
    key = comment.path_key(paths)
    try:  # with a refresh pull request, refresh's one reading of the exchange is the drift's plan
        reading = refresh.read(list(paths), tuple(leaders), _connect(sandbox)) if refresh_pr else None
        desired, plan = (reading.desired, reading.plan) if reading else operations.plan(paths, tuple(leaders), _connect(sandbox))
    except Exception as e:
        step_report.report_failure("drift", e)
        raise
    code = plan.exit_code(True)
    digest = drift_digest(plan)
    summary = _plan_markdown(plan, [], _title("drift", key), f"<sub>drift_sha256 `{digest}`</sub>", summary=True,
                             overflow="The rest is in the job's log.", drift=True)
    step_report.report(summary, plan, desired.leaders, drift=True)
    click.echo(render_drift(plan, "text"), nl=False)
    if code == 1:
        click.echo("drift could not check every leader (blocked or error): the drift issue is left as it is", err=True)
        return 1
    if code == 0:
        outcome = drift_issue.report_in_sync(api, env.repository, key, env.run_url, _me(api))
        click.echo(f"in sync{f': closed drift issue #{outcome.number}' if outcome.number else ''}")
        if refresh_pr:
            _close_refresh_pr(api, env, key, "Back in sync")
        return 0
    pr_number = _refresh_pr(api, env, key, reading) if refresh_pr else None
    return _report_drift(api, env, key, plan, digest, pr_number)


def _refresh_pr(api, env, key: str, reading) -> int | None:
    """Open or update the refresh pull request (`refresh_pr`), its body showing the drift;
    its number, or None (said why)."""
    from reconciler import refresh
    from reconciler.github import comment, refresh_pr, step_report
    from reconciler.refresh import RefreshRefused
    from reconciler.render import as_markdown

    drift_markdown = as_markdown.document(reading.plan, drift=True, head=[], title="### The drift", overflow=_overflow(env),
                                          limit=comment.LIMIT // 3)

    try:
        proposal = refresh.proposal(reading)
    except RefreshRefused as e:
        click.echo(f"warning: no refresh pull request: {e}", err=True)
        step_report.step_summary(f"⚠️ No refresh pull request: refresh refused the edit.\n\n{_block(str(e))}")
        return None
    from reconciler.render.escape import for_terminal

    for note in proposal.notes:
        click.echo(for_terminal(note), err=True)
    if not proposal.files:
        _close_refresh_pr(api, env, key, "Nothing to refresh in the config any more")
        return None
    files = [(_repo_path(f.path), f.data()) for f in proposal.files]
    body = _refresh_body(env, key, proposal, drift_markdown)
    title = f"leaderctl: accept the exchange's values ({urllib.parse.unquote(key)})"
    base = env.default_branch() or (env.ref.removeprefix("refs/heads/") if env.ref.startswith("refs/heads/") else "main")
    outcome = refresh_pr.propose(api, env.repository, key, base_branch=base, base_sha=env.sha, files=files, title=title,
                                 body=body, me=_me(api))
    click.echo(f"refresh pull request: {outcome.action} #{outcome.number}")
    return outcome.number


def _close_refresh_pr(api, env, key: str, why: str) -> None:
    from reconciler.github import refresh_pr

    outcome = refresh_pr.close(api, env.repository, key, env.run_url, _me(api), why)
    if outcome.number:
        click.echo(f"closed refresh pull request #{outcome.number}")


def _block(text: str, info: str = "text") -> str:
    from reconciler.render.escape import markdown_block

    return markdown_block(text, info)


def _repo_path(path) -> str:
    """A config file's path in the repository (relative to GITHUB_WORKSPACE, or the working directory)."""
    from pathlib import Path

    from reconciler.errors import UsageError

    root = Path(os.environ.get("GITHUB_WORKSPACE") or ".").resolve()
    full = Path(path).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the repository ({root}): it cannot go into a refresh pull request") from None


def _refresh_body(env, key: str, proposal, drift_markdown: str) -> str:
    """The refresh pull request's body: marker, what merging does, the diff, notes, the drift (bounded)."""
    from reconciler.github import comment, refresh_pr
    from reconciler.render.as_diff import diff

    intro = ("The exchange differs from the config (see the open issue labelled `drift`). **Merging this pull request "
             "accepts the exchange's values**: the config then says what the exchange has, and the next plan shows no "
             "changes. To put the exchange back instead, close it and apply the config.")
    notes = ["", "Notes:", "", _block("\n".join(proposal.notes))] if proposal.notes else []
    run = f" by [this run]({env.run_url})" if env.run_url else ""
    footer = f"<sub>Proposed{run} from `{env.sha[:7]}`. leaderctl updates this pull request while the drift lasts and closes it when back in sync.</sub>"
    head = [refresh_pr.marker(key), f"## leaderctl refresh · `{key}`", "", intro, *notes, "", "### The edit", ""]
    room = comment.LIMIT - 2000 - len("\n".join(head)) - len(footer)
    text = diff(proposal.files)
    edit = _block(text, "diff")
    while len(edit) > room // 2:
        text = text[: len(text) * (room // 2) // len(edit) - 100].rsplit("\n", 1)[0] + "\n… (cut: the whole diff is in the run's log)"
        edit = _block(text, "diff")
    drift = drift_markdown if len(drift_markdown) < room - len(edit) else "The drift report is in the open `drift` issue."
    return "\n".join([*head, edit, "", drift, "", footer]) + "\n"


def _report_drift(api, env, key: str, plan, digest: str, pr_number: int | None = None) -> int:
    """Open the drift issue, or update it when the drift changed; exit 2."""
    import hashlib

    from reconciler.github import drift_issue

    if pr_number is not None:  # a new pull request is news too
        digest = hashlib.sha256(f"{digest} refresh-pr #{pr_number}".encode()).hexdigest()
    title = f"leaderctl: leader settings drifted from the config ({key})"
    body = drift_body(plan, env, key, digest, pr_number)
    outcome = drift_issue.report_drift(api, env.repository, key, title, body, digest, env.run_url, _me(api))
    click.echo(f"drift: {outcome.action} issue #{outcome.number}")
    return 2


def drift_body(plan, env, key: str, digest: str, pr_number: int | None = None) -> str:
    """The drift issue: its markers (path, drift digest), the drift, how to clear it."""
    from reconciler.github import drift_issue

    check = f"[this run]({env.run_url})" if env.run_url else "this run"
    proposal = ([f"A pull request that accepts the exchange's values instead: #{pr_number}.", ""]
                if pr_number is not None else [])
    footer = "\n".join(
        [
            "---",
            *proposal,
            f"Found by {check}. To clear it: change the config to match the exchange (in a pull request), or open a pull "
            "request (an empty commit will do) whose plan puts the exchange back and merge it. This issue closes itself "
            "at the next check that finds no drift.",
            "",
            f"<sub>drift_sha256 `{digest[:12]}`: the same drift found again changes nothing here.</sub>",
        ]
    )
    return _plan_markdown(plan, [drift_issue.marker(key), drift_issue.digest_line(digest)], _title("drift", key), footer,
                          summary=False, overflow=_overflow(env), drift=True)


# ---------------------------------------------------------------- init


@click.group("init")
def init_group():
    """Write the files a config repository needs."""


@init_group.command("github")
@click.option("--path", "config_path", default="leaders/", show_default=True, help="Where the leader configs are.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the workflow here instead of stdout.")
@click.option("--branch", default="main", show_default=True, help="The default branch: a push to it applies.")
@click.option("--action-ref", metavar="SHA|TAG", help="The leaderctl action's commit (default: the commit of its tag, looked up on GitHub).")
@click.option("--check", "check_file", type=click.Path(dir_okay=False), help="Check this workflow maps every variable the config reads.")
@click.option("--refresh-pr", "refresh_pr", is_flag=True,
              help="The drift job also proposes the exchange's values as a pull request (it alone gets contents and pull-requests: write).")
@action_boundary
def init_github(config_path, output, branch, action_ref, check_file, refresh_pr):
    """Write the caller workflow: plan on pull requests, reviewed apply on the default branch, drift every 6 hours."""
    from reconciler.errors import UsageError
    from reconciler.config import load_desired
    from reconciler.github import workflow

    workflow.check_path(config_path)  # before anything is read: it is written into the workflow
    desired = load_desired([config_path])
    needed = list(dict.fromkeys(name for spec in desired.leaders.values() for name in spec.variables()))
    if check_file:
        if output or action_ref:
            raise UsageError("--check takes no -o or --action-ref")
        missing = workflow.check(check_file, needed)
        if missing:
            for job, var in missing:
                click.echo(f"{check_file}: job {job}: {var} is not mapped: add `{var}: ${{{{ secrets.{var} }}}}` to the env of its leaderctl step", err=True)
            return 1
        click.echo(f"{check_file}: every variable the config reads is mapped ({len(needed)})")
        return 0
    sha, label = workflow.resolve_action_ref(action_ref, warn=lambda line: click.echo(line, err=True))
    text = workflow.render(config_path, needed, branch=branch, action_sha=sha, action_label=label, refresh_pr=refresh_pr)
    if output:
        workflow.write(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    return 0
