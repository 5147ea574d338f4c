"""CONTRACT §9: `init github --path` takes a relative path of printable characters without
`${{`; anything else is refused naming the option, and no workflow is written. The path
goes into the workflow twice (a comment line, `with: path:`), so a newline would add YAML
of its own and `${{ ... }}` would be evaluated by Actions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"
INJECTED = "x\non:\n  issue_comment:\njobs:\n  pwn:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.comment.body }}\n#"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_API_URL", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _init(*args):
    return CliRunner().invoke(cli, ["init", "github", *args], catch_exceptions=False)


@pytest.mark.parametrize("path, why", [
    (INJECTED, "a control character or a line break"),
    ("leaders\r", "a control character or a line break"),
    ("leaders\u2028x", "a control character or a line break"),
    ("leaders-${{ github.event.pull_request.title }}", "`${{`"),
    ("${{github.token}}", "`${{`"),
    ("leaders\t", "a control character"),
])
def test_a_path_that_would_change_the_workflow_is_refused(repo, path, why):
    shutil.copytree(ROOT / "examples", repo / path)  # it exists and holds a valid config: only the path is wrong
    r = _init("--path", path, "--action-ref", SHA, "-o", ".github/workflows/leaderctl.yml")
    assert r.exit_code == 1, r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: --path must be a path relative to the repository's root, of printable characters") and why in line
    assert "issue_comment" not in r.output or "\\n" in line  # shown escaped, on one line
    assert not (repo / ".github").exists()


@pytest.mark.parametrize("path", ["/etc/leaders", "~/leaders", "../leaders", "leaders/../../x", "C:\\leaders", ""])
def test_a_path_outside_the_repository_is_refused(repo, path):
    r = _init("--path", path, "--action-ref", SHA)
    assert r.exit_code == 1 and "Error: --path must be a path relative to the repository's root" in r.stderr, r.output
    assert r.stdout == ""


@pytest.mark.parametrize("path", ["leaders/", "config/leaders.d/prod_1", "leaders-2026.v2/"])
def test_ordinary_paths_are_written(repo, path):
    shutil.copytree(ROOT / "examples", repo / path)
    r = _init("--path", path, "--action-ref", SHA)
    assert r.exit_code == 0, r.output
    assert f"path: {path}}}" in r.stdout or f'path: "{path}"}}' in r.stdout
