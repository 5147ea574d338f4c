"""The command line: parse options, call the core (`operations`), render, exit.

Every error is rendered once, in `boundary.error_boundary`. The core (YAML, the schema, the
model) is imported by the commands that run it, and httpx only by the exchange
client, so `--help` starts in the time of click alone.
"""
from __future__ import annotations

import os
import sys

import click

from reconciler import __version__
from reconciler.boundary import error_boundary, say
from reconciler.errors import ConfigError, UsageError

FORMATS = click.Choice(["text", "json", "markdown"])


def _reported(command: str):
    """A command's errors also in the GitHub step summary and annotations (when in Actions)."""

    def report(error: BaseException) -> None:
        from reconciler.github import step_report

        step_report.report_failure(command, error)

    return report


def exchange_options(fn):
    """--leader/--endpoint/--sandbox/--parallelism/--timeout/-v/-q/--no-color, before or after the command."""
    opts = [
        click.option("--leader", "leaders", multiple=True, metavar="NAME", help="Limit the run to this leader (repeatable)."),
        click.option("--endpoint", metavar="URL", help="Exchange base URL (env LEADERCTL_ENDPOINT; default https://api.toobit.com)."),
        click.option("--sandbox", is_flag=True, default=None, help="Use the embedded simulated exchange (.leaderctl/sandbox.json)."),
        click.option("--parallelism", type=click.IntRange(1, 64), metavar="N", help="Leaders at once (default 8)."),
        click.option("--timeout", type=click.FloatRange(0, 3600, min_open=True), metavar="SECONDS",
                     help="Deadline of each request as a whole (env LEADERCTL_TIMEOUT; default 30)."),
        click.option("-v", "--verbose", is_flag=True, default=None, help="Log every request to stderr (also LEADERCTL_LOG=debug)."),
        click.option("-q", "--quiet", is_flag=True, default=None,
                     help="No progress on stderr (warnings and errors still; default: one updating line on a terminal, a few plain lines otherwise)."),
        click.option("--no-color", "no_color", is_flag=True, default=None, help="No colour (also NO_COLOR)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leaderctl")
@click.option("--format", "fmt", type=FORMATS, help="Output format of plan, apply and drift (default text).")
@exchange_options
def cli(**_):
    """Keep Toobit copy-trading leader settings as code: validate, plan, apply, drift."""
    from reconciler import redact

    redact.forget()  # the secrets to mask are this command's (collected as its leaders are read)


def main(argv=None):
    """Entry point: usage errors exit 1 (exit 2 means "changes" or "drift" here)."""
    try:
        cli.main(args=argv, prog_name="leaderctl", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(1)
    except click.Abort:
        say("aborted: nothing was written")
        sys.exit(1)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    sys.exit(0)


def _merged(**local) -> dict:
    """Options given after the command win over the same options given before it."""
    base = click.get_current_context().find_root().params
    out = {k: (v if v not in (None, ()) else base.get(k)) for k, v in local.items()}
    out["leaders"] = tuple(local.get("leaders") or ()) + tuple(base.get("leaders") or ())
    out["parallelism"] = out.get("parallelism") or 8
    if "fmt" in out:
        out["fmt"] = out["fmt"] or "text"
    verbose = bool(out.get("verbose")) or os.environ.get("LEADERCTL_LOG", "").lower() == "debug"
    if verbose:
        _log_requests()
    from reconciler.operations import Connect

    out["connect"] = Connect(
        endpoint=out.get("endpoint"), sandbox=bool(out.get("sandbox")), parallelism=out["parallelism"],
        timeout=out.get("timeout"), verbose=verbose, progress=not out.get("quiet"),
    )
    return out


def _log_requests() -> None:
    """-v: the client's request log (method, path, status, code, weight, timing; no secrets) on stderr."""
    import logging

    from reconciler.redact import MaskFilter

    class ToStderr(logging.StreamHandler):
        """Writes to whatever sys.stderr is when a line is logged (it may be replaced)."""

        stream = property(lambda self: sys.stderr, lambda self, value: None)

    for name in ("leaderctl", "reconciler.exchange"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not any(type(h).__name__ == "ToStderr" for h in logger.handlers):  # once per process
            handler = ToStderr()
            handler.setFormatter(logging.Formatter("leaderctl: %(message)s"))
            handler.addFilter(MaskFilter())  # every secret of the run's leaders, in any letter case
            logger.addHandler(handler)


def _color(o: dict) -> bool:
    return not o.get("no_color") and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def _warn(desired) -> None:
    for line in desired.warnings:
        click.echo(line, err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: {valid, leaders, files, warnings} or {valid: false, issues: [{file, line, col, path, message}]} on stdout.")
@error_boundary()
def validate(paths, fmt):
    """Check config files offline against the schema and the exchange's rules."""
    from reconciler import operations

    if fmt == "json":
        from reconciler.render import as_json

        try:
            desired = operations.load(paths)
        except ConfigError as e:
            click.echo(as_json.validation(error=e), nl=False)
            sys.exit(1)
        click.echo(as_json.validation(desired), nl=False)
        return
    desired = operations.load(paths)
    _warn(desired)
    n, f = len(desired.leaders), len(desired.files)
    click.echo(f"valid: {n} leader{'s' if n != 1 else ''} in {f} file{'s' if f != 1 else ''}")


@cli.command()
@error_boundary()
def schema():
    """Print the JSON Schema of the config files."""
    from reconciler.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--explain", is_flag=True, help="Say where each desired value was written (file:line, profile or leader).")
@exchange_options
@error_boundary(on_error=_reported("plan"))
def plan(paths, fmt, out, detailed_exitcode, explain, **opts):
    """Read the live state and show what apply would change."""
    from reconciler import operations
    from reconciler.github import step_report
    from reconciler.render import render_plan

    o = _merged(fmt=fmt, **opts)
    desired, the_plan = operations.plan(paths, o["leaders"], o["connect"])
    _warn(desired)
    if out:
        from reconciler import planfile

        planfile.save(the_plan, out)
    click.echo(render_plan(the_plan, o["fmt"], color=_color(o), explain=explain), nl=False)
    step_report.report(lambda: render_plan(the_plan, "markdown"), the_plan, desired.leaders)
    sys.exit(the_plan.exit_code(detailed_exitcode))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply exactly this saved plan.")
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Allow removing more followers of one leader than the policy's max_follower_removals (default 10).")
@click.option("--ignore-windows", is_flag=True, help="Write leaders the policy's change windows hold now (the report says so).")
@exchange_options
@error_boundary(on_error=_reported("apply"))
def apply(paths, plan_file, fmt, auto_approve, force, ignore_windows, **opts):
    """Plan, ask, then write: one PUT per leader with changes, then follower removals."""
    from reconciler import operations
    from reconciler.github import step_report
    from reconciler.render import render_plan, render_result

    o = _merged(fmt=fmt, **opts)
    request = operations.ApplyRequest(
        paths=tuple(paths), leaders=o["leaders"], plan_file=plan_file, auto_approve=auto_approve, force=force,
        ignore_windows=ignore_windows, interactive=sys.stdin.isatty(),
    )
    plan_out = sys.stdout if o["fmt"] == "text" else sys.stderr

    def show(the_plan):
        click.echo(render_plan(the_plan, "text", color=_color(o)), nl=False, file=plan_out)

    def confirm() -> bool:
        return click.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False).strip() == "yes"

    desired, result = operations.apply(request, o["connect"], show=show, confirm=confirm)
    click.echo(render_result(result, o["fmt"], color=_color(o)), nl=False)
    # annotate only what did not converge: applied changes are no longer differences
    step_report.report(lambda: render_result(result, "markdown"), result.unsettled(), desired.leaders)
    sys.exit(result.exit_code())


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--webhook", metavar="URL", help="POST a Slack-compatible message when drift is found.")
@click.option("--prometheus", type=click.Path(dir_okay=False), help="Write node-exporter textfile metrics here.")
@exchange_options
@error_boundary()
def drift(paths, fmt, webhook, prometheus, **opts):
    """The plan, for schedules: exit 0 in sync, 2 drift, 1 error.

    An error or a blocked leader makes it 1 even when others drifted (as `plan`
    does); the webhook and the metrics still name every drifted leader.
    """
    from reconciler import notify, operations
    from reconciler.github import step_report
    from reconciler.model import LeaderStatus
    from reconciler.render import render_drift

    o = _merged(fmt=fmt, **opts)
    try:
        desired, the_plan = operations.plan(paths, o["leaders"], o["connect"])
    except (Exception, KeyboardInterrupt) as e:
        if prometheus:
            notify.write_metrics(prometheus, None)
        step_report.report_failure("drift", e)
        raise
    click.echo(render_drift(the_plan, o["fmt"], color=_color(o)), nl=False)
    step_report.report(lambda: render_drift(the_plan, "markdown"), the_plan, desired.leaders, drift=True)
    if prometheus:
        notify.write_metrics(prometheus, the_plan)
    if webhook and the_plan.count(LeaderStatus.CHANGES):
        notify.send_webhook(webhook, the_plan)
    sys.exit(the_plan.exit_code(detailed=True))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; exit 2 when something would change.")
@exchange_options
@error_boundary()
def refresh(paths, check, **opts):
    """Accept the exchange's values: rewrite the config so that a plan shows no changes.

    Prints a unified diff; blocked and error leaders are left alone (exit 1).
    """
    from reconciler import refresh as refreshing
    from reconciler.render.as_diff import diff

    o = _merged(**opts)
    desired, result = refreshing.refresh(paths, o["leaders"], o["connect"])
    _warn(desired)
    click.echo(diff(result.files), nl=False)
    for note in result.notes:
        click.echo(_terminal(note), err=True)
    if result.files and not check:
        refreshing.write(result)
    click.echo(refreshing.summary(result, check), err=True)
    sys.exit(result.exit_code(check))


def _terminal(text: str) -> str:
    from reconciler.render.escape import for_terminal

    return for_terminal(text)


@cli.command("import")
@click.option("--leader", "names", multiple=True, metavar="NAME", help="A leader to import (repeatable; default: every leader of -c).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("-c", "--config", "config_path", type=click.Path(), help="Config to take the leaders (and their credential names) from.")
@click.option("--profiles", is_flag=True, help="Put the settings all imported leaders share in one profile.")
@click.option("--endpoint", metavar="URL", help="Exchange base URL (env LEADERCTL_ENDPOINT; default https://api.toobit.com).")
@click.option("--sandbox", is_flag=True, default=None, help="Use the embedded simulated exchange (.leaderctl/sandbox.json).")
@error_boundary()
def import_(names, output, config_path, profiles, endpoint, sandbox):
    """Write leaders' live settings as YAML (plan on it shows no changes)."""
    from reconciler import importer

    o = _merged(endpoint=endpoint, sandbox=sandbox, parallelism=None, leaders=())
    leaders = _leaders_for(names, config_path)
    with o["connect"].session() as session:
        text = importer.import_leaders(leaders, session, profiles=profiles)
    if output:
        importer.write(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _leaders_for(names, config_path):
    """The leaders from the config (for their credential names), or defaults for bare names."""
    from reconciler import operations
    from reconciler.importer import bare_spec
    from reconciler.runner import select

    if config_path:
        return select(operations.load([config_path]), names)
    if not names:
        raise UsageError("name the leaders to import with --leader NAME (or give -c CONFIG)")
    return [bare_spec(n) for n in dict.fromkeys(names)]


SHOW = ["config", "symbols", "orders", "order-history", "trade-data", "profit-sharing", "followers"]


@cli.command()
@click.argument("what", type=click.Choice(SHOW))
@click.option("-c", "--config", "config_path", type=click.Path(), help="Config holding the leader.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), help="Output format (default text).")
@click.option("--all", "all_pages", is_flag=True, help="Every page (order-history, followers).")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page to show (order-history, followers).")
@click.option("--size", type=click.IntRange(1, 100), default=10, show_default=True, help="Rows per page (order-history, followers).")
@click.option("--period", type=click.Choice(["7", "30", "90", "180", "365"]), default="7", show_default=True, help="trade-data period in days.")
@exchange_options
@error_boundary()
def show(what, config_path, fmt, all_pages, page, size, period, **opts):
    """Read-only reports of one leader's exchange data."""
    from reconciler import show as report

    o = _merged(fmt=fmt, **opts)
    if len(o["leaders"]) != 1:
        raise UsageError("show needs exactly one --leader NAME")
    (leader,) = _leaders_for(o["leaders"], config_path)
    with o["connect"].session() as session:
        data = report.fetch(session.client(leader), what, all_pages=all_pages, page=page, size=size, period=int(period))
    click.echo(report.render(what, data, "json" if o["fmt"] == "json" else "text"), nl=False)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port on 127.0.0.1 (0: any free one).")
@click.option("--state", type=click.Path(dir_okay=False), default=".leaderctl/sandbox.json", show_default=True,
              help="Where the simulated accounts are kept between runs.")
@click.option("-c", "--config", "config_path", type=click.Path(), help="One account per leader in this config (default: one `demo`).")
@click.option("--latency", type=float, default=0.0, help="Seconds added to every answer.")
@click.option("--weight-per-minute", type=click.IntRange(1, 100_000), default=1200, show_default=True,
              help="The simulated exchange's request-weight limit per IP, published in its exchangeInfo.")
@error_boundary()
def sandbox(port, state, config_path, latency, weight_per_minute):
    """Run the simulated exchange as a local HTTP server and print its credentials."""
    import time
    from pathlib import Path

    from reconciler import operations
    from reconciler.importer import bare_spec
    from reconciler.sandbox import Sandbox

    leaders = list(operations.load([config_path]).leaders.values()) if config_path else [bare_spec("demo")]
    sb = Sandbox(state_path=Path(state), port=port, latency=latency, weight_per_minute=weight_per_minute).start()
    click.echo(f"# leaderctl sandbox on {sb.url} (state: {state}); throwaway keys for loopback only; Ctrl-C stops it")
    click.echo(f"export LEADERCTL_ENDPOINT={sb.url}")
    for leader in leaders:
        acct = sb.ensure_account(leader.name)
        click.echo(f"export {leader.credentials.api_key_env}={acct.api_key}")
        click.echo(f"export {leader.credentials.api_secret_env}={acct.api_secret}")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


from reconciler.github.commands import github_group, init_group  # noqa: E402  (leaderctl github ..., leaderctl init github)

cli.add_command(github_group)
cli.add_command(init_group)
