"""Every option of every command says what it does in --help."""
from __future__ import annotations

import click
from click.testing import CliRunner

from reconciler.cli import cli


def _commands(group, prefix=("leaderctl",)):
    yield prefix, group
    for name, cmd in getattr(group, "commands", {}).items():
        yield from _commands(cmd, prefix + (name,))


def test_every_option_has_help_text():
    missing = [f"{' '.join(path)} {'/'.join(p.opts)}"
               for path, cmd in _commands(cli) for p in cmd.params
               if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert missing == []


def test_help_shows_it():
    out = CliRunner().invoke(cli, ["import", "--help"]).output
    assert "--sandbox" in out and "simulated exchange" in out


def test_shell_completion_as_the_readme_documents_it():
    import os
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_LEADERCTL_COMPLETE={shell}_source leaderctl" in readme
    env = {**os.environ, "COMP_WORDS": "leaderctl sh", "COMP_CWORD": "1", "_LEADERCTL_COMPLETE": "bash_complete"}
    code = "from reconciler.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["plain,show"], done
    source = subprocess.run([sys.executable, "-c", code], env={**env, "_LEADERCTL_COMPLETE": "bash_source"},
                            capture_output=True, text=True, timeout=60)
    assert "complete -o nosort -F _leaderctl_completion" in source.stdout
