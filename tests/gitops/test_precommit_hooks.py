"""`.pre-commit-hooks.yaml`: config repositories run `leaderctl validate` as a hook."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from gitops_testkit import EXAMPLES, REPO


def hooks() -> list[dict]:
    doc = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, list)
    return doc


def test_hook_is_declared_as_pre_commit_expects():
    (hook,) = [h for h in hooks() if h["id"] == "leaderctl-validate"]
    for key in ("id", "name", "entry", "language"):
        assert isinstance(hook[key], str) and hook[key]
    assert hook["language"] == "python"
    assert hook["files"] == "^leaders/"  # the leader configs only: not mkdocs.yml or the workflows
    assert hook["types"] == ["yaml"]  # pre-commit's file type: *.yaml and *.yml
    assert hook.get("pass_filenames", True) is True
    files, exclude = re.compile(hook["files"]), re.compile(hook.get("exclude", "^$"))

    def selected(path):  # what pre-commit does: files, exclude, then the type tag
        return bool(files.search(path)) and not exclude.search(path) and re.search(r"\.ya?ml$", path) is not None

    assert selected("leaders/desk-btc.yaml") and selected("leaders/desks/alt.yml")
    assert not selected("leaders/notes.md") and not selected("leaders/desk.yaml.bak")
    assert not selected("mkdocs.yml") and not selected("desk.yml") and not selected("config/leaders/x.yaml")
    assert not selected(".pre-commit-config.yaml") and not selected(".github/workflows/leaderctl.yml")


def test_entry_is_a_console_script_of_this_package():
    (hook,) = hooks()
    program, *args = hook["entry"].split()
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert program in scripts
    assert args == ["validate"]
    # the subcommand exists
    p = subprocess.run([sys.executable, "-m", "reconciler", "validate", "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "PATHS" in p.stdout


def test_entry_validates_the_filenames_pre_commit_passes(tmp_path):
    (hook,) = hooks()
    program, *args = hook["entry"].split()
    exe = shutil.which(program, path=str(Path(sys.executable).parent)) or shutil.which(program)
    cmd = [exe, *args] if exe else [sys.executable, "-m", "reconciler", *args]
    files = sorted(str(p.relative_to(REPO)) for p in EXAMPLES.rglob("*.yaml"))
    p = subprocess.run([*cmd, *files], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("valid: 7 leaders in 6 files")

    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nleaders:\n  x:\n    symbols: 5\n")
    p = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and f"{bad}:4:" in p.stderr
