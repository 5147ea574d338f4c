"""The one error boundary (`reconciler.boundary`) shared by `leaderctl ...` and `leaderctl github ...`:
what each kind of ending prints, the exit code, and what `finish` is told."""
from __future__ import annotations

import pytest

from reconciler.boundary import error_boundary
from reconciler.errors import ConfigError, ConfigIssue, UsageError


def _run(fn, capsys):
    """As the action runs a command: `finish` records the exit code."""
    finished: list[int] = []
    with pytest.raises(SystemExit) as exit_info:
        error_boundary(finish=finished.append)(fn)()
    return exit_info.value.code, capsys.readouterr().err, finished


def _usage():
    raise UsageError("name the leaders with --leader \x1b[31mNAME")


def _config():
    raise ConfigError([ConfigIssue(file="a.yaml", line=3, col=5, path="leaders.x", message="bad value")])


def _bug():
    raise ZeroDivisionError("secret-looking detail")


@pytest.mark.parametrize(
    "fn, code, words",
    [
        (lambda: 0, 0, ""),
        (lambda: 2, 2, ""),
        (_usage, 1, "Error: name the leaders with --leader \\x1b[31mNAME"),
        (_config, 1, "a.yaml:3:5"),
        (_bug, 1, "internal error: ZeroDivisionError (set LEADERCTL_DEBUG=1 for a traceback)"),
    ],
)
def test_an_action_command_ends_with_its_code_recorded(fn, code, words, capsys, monkeypatch):
    monkeypatch.delenv("LEADERCTL_DEBUG", raising=False)
    got, err, finished = _run(fn, capsys)
    assert (got, finished) == (code, [code])
    assert words in err
    assert "Traceback" not in err and "secret-looking" not in err and "\x1b" not in err


def test_a_cli_command_that_exits_by_itself_is_left_to_do_so(capsys):
    def exits():
        raise SystemExit(3)

    with pytest.raises(SystemExit) as e:
        error_boundary()(exits)()
    assert e.value.code == 3
    assert error_boundary()(lambda: None)() is None  # returned normally: click goes on


def test_a_cli_error_exits_with_the_errors_code(capsys):
    with pytest.raises(SystemExit) as e:
        error_boundary()(_usage)()
    assert e.value.code == 1 and "Error: name the leaders" in capsys.readouterr().err


def test_debug_lets_a_bug_through(monkeypatch):
    monkeypatch.setenv("LEADERCTL_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        error_boundary()(_bug)()
