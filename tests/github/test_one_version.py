"""One version everywhere: the package's (`leaderctl --version`), the action tag that
`init github` pins, and the `rev:` of the README's and the hook file's pre-commit examples."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import cli
from reconciler.github import workflow

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_version_is_the_action_tag_and_the_precommit_rev():
    tag = f"v{__version__}"
    assert workflow.ACTION_VERSION == tag
    assert CliRunner().invoke(cli, ["--version"]).output == f"leaderctl, version {__version__}\n"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert set(re.findall(r"rev: (\S+)", readme + hooks)) == {tag}
    assert set(re.findall(r"leaderctl/leaderctl@<commit of (v[\d.]+)> # (v[\d.]+)", readme)) == {(tag, tag)}
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # read from reconciler.__version__
