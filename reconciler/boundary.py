"""The one error boundary of every command, `leaderctl ...` and `leaderctl github ...`.

Errors are exception types raised where they are found; here, and only here, each
is rendered: one line (a config's: one line per issue), exchange text escaped and
secrets masked (`render.escape.lines_for_terminal`), then the exit code the error
carries. A Ctrl-C while reading says nothing was written and leaves at once (reads
in flight are abandoned, not waited for; the applier stops writes itself and
returns a result). A bug is one line; the traceback only with LEADERCTL_DEBUG=1.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps

import click

from reconciler.errors import ConfigError, LeaderctlError


def say(message: str) -> None:
    """An error's lines on stderr: exchange text escaped, secrets masked."""
    from reconciler.render.escape import lines_for_terminal

    click.echo(lines_for_terminal(message), err=True)


def error_boundary(*, on_error: Callable[[LeaderctlError], None] | None = None,
                   finish: Callable[[int], None] | None = None):
    """Decorate a command so that every error ends here, rendered once, never a traceback.

    `on_error(error)` also reports a leaderctl error elsewhere (the CLI's plan and apply:
    to the GitHub step summary and annotations). `finish(code)` runs with the exit code however the command ended (the
    action records it in $GITHUB_OUTPUT); a command that returns its code then exits
    with it; one that exits by itself (sys.exit) is left to do so.
    """

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            code = _guarded(fn, args, kwargs, on_error, finish)
            if finish is not None:
                finish(code or 0)
            if code is not None or finish is not None:
                sys.exit(code or 0)

        return wrapper

    return decorate


def _guarded(fn, args, kwargs, on_error, finish: Callable[[int], None] | None) -> int | None:
    try:
        return fn(*args, **kwargs)
    except LeaderctlError as e:
        if on_error is not None:
            on_error(e)
        say(str(e) if isinstance(e, ConfigError) else f"Error: {e}")
        return e.exit_code
    except KeyboardInterrupt as e:
        click.echo(f"interrupted ({e or 'SIGINT'}): nothing was written", err=True)
        if finish is not None:
            finish(1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)  # in-flight reads are abandoned, not waited for
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except Exception as e:  # a bug: say so in one line; the traceback only on request
        if os.environ.get("LEADERCTL_DEBUG"):
            raise
        say(f"internal error: {type(e).__name__} (set LEADERCTL_DEBUG=1 for a traceback)")
        return 1
