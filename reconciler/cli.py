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
        from reconciler.errors import LeaderctlError

        try:
            return fn(*args, **kwargs)
        except LeaderctlError as e:
            _fail(f"Error: {e}" if not hasattr(e, "issues") else str(e), e.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so in one line; the traceback only on request
            if os.environ.get("LEADERCTL_DEBUG"):
                raise
            _fail(f"internal error: {type(e).__name__}: {e} (set LEADERCTL_DEBUG=1 for a traceback)")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leaderctl", prog_name="leaderctl")
def main():
    """Keep Toobit copy-trading leader settings as code: validate, plan, apply, drift."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@boundary
def validate(paths):
    """Check config files offline against the schema and the exchange's rules."""
    from reconciler.config import load_desired

    desired = load_desired(list(paths))
    n = len(desired.leaders)
    click.echo(f"valid: {n} leader{'s' if n != 1 else ''} in {len(desired.files)} file{'s' if len(desired.files) != 1 else ''}")


@main.command()
@boundary
def schema():
    """Print the JSON Schema of the config files."""
    from reconciler.schema import schema_text

    click.echo(schema_text(), nl=False)
