"""Exception types, raised where a problem is found and rendered once by the CLI.

Every message here is written for the person at the terminal: what happened and
what to do. None of them may carry a key, secret, signature or invite code.
"""
from __future__ import annotations

from dataclasses import dataclass


class LeaderctlError(Exception):
    """Base of every error the CLI renders without a traceback (exit 1)."""

    exit_code = 1
    stops_run = False  # True: not one leader's problem, the whole run stops (a ban, an interrupt)


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One located problem in a config file: `FILE:LINE:COL: path: message`; line 0 when it is
    about the path itself (missing, a directory without configs): `PATH: message`."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(LeaderctlError):
    """The config files are invalid; carries every issue found, sorted."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


class UsageError(LeaderctlError):
    """A bad option or argument, found before any request."""


class CredentialsError(LeaderctlError):
    """An API key or secret environment variable is missing."""


class StalePlanError(LeaderctlError):
    """A saved plan no longer matches the config files or the live state."""


class InviteCodeError(LeaderctlError):
    """The invite code read from `code_env` breaks the exchange's rules."""


class PlanFileError(LeaderctlError):
    """A saved plan file that is not exactly what `plan --out` writes."""


class UnsafePlan(LeaderctlError):
    """The plan crosses a safety threshold that `--force` accepts (Plan.raise_if_unsafe)."""
