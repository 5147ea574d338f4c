"""The command line: parse options, call the core, render, exit.

Heavy modules (httpx, deepdiff, jsonschema) are imported inside the commands
that need them, so `--help` and `validate` start fast.
"""
from __future__ import annotations

import os
import sys
from functools import wraps

import click

FORMATS = click.Choice(["text", "json", "markdown"])


def _fail(message: str, code: int = 1):
    click.echo(message, err=True)
    sys.exit(code)


def boundary(fn):
    """Render every leaderctl error once, here, and exit with its code: never a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        from reconciler.errors import ConfigError, LeaderctlError

        try:
            return fn(*args, **kwargs)
        except LeaderctlError as e:
            if fn.__name__ in ("plan", "apply"):  # drift reports its own failures
                from reconciler import gitops

                gitops.report_failure(fn.__name__, e)
            _fail(str(e) if isinstance(e, ConfigError) else f"Error: {e}", e.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so in one line; the traceback only on request
            if os.environ.get("LEADERCTL_DEBUG"):
                raise
            _fail(f"internal error: {type(e).__name__} (set LEADERCTL_DEBUG=1 for a traceback)")

    return wrapper


def exchange_options(fn):
    """--leader/--endpoint/--sandbox/--parallelism/--no-color, accepted before or after the command."""
    opts = [
        click.option("--leader", "leaders", multiple=True, metavar="NAME", help="Limit the run to this leader (repeatable)."),
        click.option("--endpoint", metavar="URL", help="Exchange base URL (env LEADERCTL_ENDPOINT; default https://api.toobit.com)."),
        click.option("--sandbox", is_flag=True, default=None, help="Use the embedded simulated exchange (.leaderctl/sandbox.json)."),
        click.option("--parallelism", type=click.IntRange(1, 64), metavar="N", help="Leaders at once (default 8)."),
        click.option("--no-color", "no_color", is_flag=True, default=None, help="No colour (also NO_COLOR)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leaderctl", prog_name="leaderctl")
@click.option("--format", "fmt", type=FORMATS, help="Output format of plan, apply and drift (default text).")
@exchange_options
def cli(**_):
    """Keep Toobit copy-trading leader settings as code: validate, plan, apply, drift."""


def main(argv=None):
    """Entry point: usage errors exit 1 (exit 2 means "changes" or "drift" here)."""
    try:
        cli.main(args=argv, prog_name="leaderctl", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(1)
    except click.Abort:
        _fail("aborted: nothing was written", 1)
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
    return out


def _session(o: dict):
    from reconciler.session import Session

    return Session(o.get("endpoint"), sandbox=bool(o.get("sandbox")), parallelism=o["parallelism"])


def _color(o: dict) -> bool:
    return not o.get("no_color") and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def _make_plan(o: dict, desired, session, paths):
    from reconciler.planfile import config_fingerprint
    from reconciler.runner import Planner, select

    leaders = select(desired, o["leaders"])
    return Planner(session).plan(leaders, paths=[str(p) for p in paths], config_fingerprint=config_fingerprint(desired))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@boundary
def validate(paths):
    """Check config files offline against the schema and the exchange's rules."""
    from reconciler.config import load_desired

    desired = load_desired(list(paths))
    n, f = len(desired.leaders), len(desired.files)
    click.echo(f"valid: {n} leader{'s' if n != 1 else ''} in {f} file{'s' if f != 1 else ''}")


@cli.command()
@boundary
def schema():
    """Print the JSON Schema of the config files."""
    from reconciler.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@exchange_options
@boundary
def plan(paths, fmt, out, detailed_exitcode, **opts):
    """Read the live state and show what apply would change."""
    from reconciler import gitops
    from reconciler.render import render_plan

    o = _merged(fmt=fmt, **opts)
    fmt = o["fmt"]
    desired = _load(paths)
    with _session(o) as session:
        the_plan, _ = _make_plan(o, desired, session, paths)
    if out:
        from reconciler import planfile

        planfile.save(the_plan, out)
    click.echo(render_plan(the_plan, fmt, color=_color(o)), nl=False)
    gitops.report(render_plan(the_plan, "markdown"), the_plan, desired.leaders)
    sys.exit(the_plan.exit_code(detailed_exitcode))


def _load(paths):
    from reconciler.config import load_desired

    return load_desired(list(paths))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply exactly this saved plan.")
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Allow removing more than 10 followers of one leader.")
@exchange_options
@boundary
def apply(paths, plan_file, fmt, auto_approve, force, **opts):
    """Plan, ask, then write: one PUT per leader with changes, then follower removals."""
    from reconciler import gitops, planfile
    from reconciler.applier import CONVERGED, Applier, exit_code
    from reconciler.model import Plan
    from reconciler.errors import UsageError
    from reconciler.render import render_plan, render_result

    o = _merged(fmt=fmt, **opts)
    fmt = o["fmt"]
    saved = None
    if plan_file:
        if paths:
            raise UsageError("give either config PATHs or --plan FILE, not both")
        saved = planfile.load(plan_file)
        paths = saved.get("paths") or []
        o["leaders"] = tuple(lp["name"] for lp in saved["leaders"])
    elif not paths:
        raise UsageError("give config PATHs (or --plan FILE)")
    desired = _load(paths)
    if not auto_approve and not sys.stdin.isatty():
        raise UsageError("apply needs confirmation but there is no terminal: pass --auto-approve (nothing was written)")
    with _session(o) as session:
        the_plan, contexts = _make_plan(o, desired, session, paths)
        if saved is not None:
            planfile.check_fresh(saved, desired, the_plan)
        many = [lp.name for lp in the_plan.leaders if len(lp.follower_removals) > 10 and lp.status in ("changes", "in_sync")]
        if many and not force:
            raise UsageError(f"more than 10 followers to remove for {', '.join(many)}: pass --force to confirm (nothing was written)")
        out = sys.stdout if fmt == "text" else sys.stderr
        click.echo(render_plan(the_plan, "text", color=_color(o)), nl=False, file=out)
        writes = [lp for lp in the_plan.leaders if (lp.changes and lp.status == "changes") or lp.follower_removals]
        if writes and not auto_approve:
            answer = click.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False)
            if answer.strip() != "yes":
                _fail("apply cancelled: nothing was written", 1)
        result = Applier(session).apply(the_plan.leaders, contexts)
    click.echo(render_result(result, fmt, color=_color(o)), nl=False)
    # annotate only what did not converge: applied changes are no longer differences
    unsettled = Plan(leaders=[r.plan for r in result.leaders if r.result not in CONVERGED])
    gitops.report(render_result(result, "markdown"), unsettled, desired.leaders)
    sys.exit(exit_code(result))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, help="Output format (default text).")
@click.option("--webhook", metavar="URL", help="POST a Slack-compatible message when drift is found.")
@click.option("--prometheus", type=click.Path(dir_okay=False), help="Write node-exporter textfile metrics here.")
@exchange_options
@boundary
def drift(paths, fmt, webhook, prometheus, **opts):
    """The plan, for schedules: exit 0 in sync, 2 drift, 1 error.

    An error or a blocked leader makes it 1 even when others drifted (as `plan`
    does); the webhook and the metrics still name every drifted leader.
    """
    from reconciler import gitops
    from reconciler.render import render_plan

    o = _merged(fmt=fmt, **opts)
    fmt = o["fmt"]
    try:
        desired = _load(paths)
        with _session(o) as session:
            the_plan, _ = _make_plan(o, desired, session, paths)
    except Exception as e:
        if prometheus:
            gitops.write_metrics(prometheus, None)
        gitops.report_failure("drift", e)
        raise
    shown = render_plan(the_plan, fmt, color=_color(o))
    click.echo(gitops.drift_markdown(shown) if fmt == "markdown" else shown, nl=False)
    gitops.report(gitops.drift_markdown(render_plan(the_plan, "markdown")), the_plan, desired.leaders)
    if prometheus:
        gitops.write_metrics(prometheus, the_plan)
    if webhook and any(lp.status == "changes" for lp in the_plan.leaders):
        gitops.send_webhook(webhook, the_plan)
    sys.exit(the_plan.exit_code(detailed=True))


@cli.command("import")
@click.option("--leader", "name", required=True, metavar="NAME", help="The leader to import.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("-c", "--config", "config_path", type=click.Path(), help="Config to take the leader's credential names from.")
@click.option("--endpoint", metavar="URL")
@click.option("--sandbox", is_flag=True, default=None)
@boundary
def import_(name, output, config_path, endpoint, sandbox):
    """Write a leader's live settings as YAML (plan on it shows no changes)."""
    from reconciler import importer

    o = _merged(endpoint=endpoint, sandbox=sandbox, parallelism=None, leaders=())
    spec = _spec_for(name, config_path)
    with _session(o) as session:
        text = importer.import_leader(spec, session)
    if output:
        importer.write(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _spec_for(name: str, config_path):
    """The leader from the config (for its credential names), or defaults for a bare name."""
    from reconciler.importer import bare_spec

    if config_path:
        desired = _load([config_path])
        from reconciler.runner import select

        return select(desired, [name])[0]
    return bare_spec(name)


SHOW = ["config", "symbols", "orders", "order-history", "trade-data", "profit-sharing", "followers"]


@cli.command()
@click.argument("what", type=click.Choice(SHOW))
@click.option("-c", "--config", "config_path", type=click.Path(), help="Config holding the leader.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), help="Output format (default text).")
@click.option("--all", "all_pages", is_flag=True, help="Every page (order-history, followers).")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--size", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--period", type=click.Choice(["7", "30", "90", "180", "365"]), default="7", show_default=True, help="trade-data period in days.")
@exchange_options
@boundary
def show(what, config_path, fmt, all_pages, page, size, period, **opts):
    """Read-only reports of one leader's exchange data."""
    from reconciler import show as report
    from reconciler.errors import UsageError

    o = _merged(fmt=fmt, **opts)
    fmt = "json" if o["fmt"] == "json" else "text"
    if len(o["leaders"]) != 1:
        raise UsageError("show needs exactly one --leader NAME")
    spec = _spec_for(o["leaders"][0], config_path)
    with _session(o) as session:
        client = session.client(spec)
        data = report.fetch(client, what, all_pages=all_pages, page=page, size=size, period=int(period))
    click.echo(report.render(what, data, fmt), nl=False)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--state", type=click.Path(dir_okay=False), default=".leaderctl/sandbox.json", show_default=True)
@click.option("-c", "--config", "config_path", type=click.Path(), help="One account per leader in this config (default: one `demo`).")
@click.option("--latency", type=float, default=0.0, help="Seconds added to every answer.")
@boundary
def sandbox(port, state, config_path, latency):
    """Run the simulated exchange as a local HTTP server and print its credentials."""
    import time
    from pathlib import Path

    from reconciler.sandbox import Sandbox

    from reconciler.importer import bare_spec

    specs = list(_load([config_path]).leaders.values()) if config_path else [bare_spec("demo")]
    Path(state).parent.mkdir(parents=True, exist_ok=True)
    sb = Sandbox(state_path=Path(state), port=port, latency=latency).start()
    click.echo(f"# leaderctl sandbox on {sb.url} (state: {state}); throwaway keys for loopback only; Ctrl-C stops it")
    click.echo(f"export LEADERCTL_ENDPOINT={sb.url}")
    for spec in specs:
        acct = sb.ensure_account(spec.name)
        click.echo(f"export {spec.credentials.api_key_env}={acct.api_key}")
        click.echo(f"export {spec.credentials.api_secret_env}={acct.api_secret}")
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
