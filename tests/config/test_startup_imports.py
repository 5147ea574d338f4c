"""`leaderctl --help` and `validate` import only what they use (README, "Start-up time"):
no HTTP stack, no jsonschema when there is no error to word, no fastjsonschema (its code is
compiled ahead of time), nothing of plans, GitOps or markdown. Each run is a fresh
interpreter (the CLI in a subprocess) that prints the modules it ended with."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Runs the console script's entry point, then prints sys.modules (JSON) on stderr's last line.
WRAPPER = r"""
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

# Module trees no --help or validate may load (github.commands is only the `github` group's
# declarations, which --help lists; nothing else of reconciler.github).
NEVER = ("httpx", "httpcore", "h11", "anyio", "ssl", "fastjsonschema", "cmarkgfm", "reconciler.notify",
         "reconciler.render", "reconciler.exchange", "reconciler.sandbox", "reconciler.session", "reconciler.runner",
         "reconciler.planfile", "reconciler.planner", "reconciler.applier", "reconciler.importer", "concurrent.futures")
pytestmark = pytest.mark.slow  # starts the CLI in subprocesses (conftest marks it too)

ALLOWED_GITHUB = {"reconciler.github", "reconciler.github.commands"}


def modules_after(*args: str, cwd: Path) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", WRAPPER, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["exit"], set(report["modules"])


def forbidden(modules: set[str], extra: tuple[str, ...] = ()) -> list[str]:
    trees = NEVER + extra
    bad = [m for m in modules if any(m == t or m.startswith(t + ".") for t in trees)]
    bad += [m for m in modules if m.startswith("reconciler.github") and m not in ALLOWED_GITHUB]
    return sorted(bad)


def test_help_imports_click_and_the_command_table_alone(tmp_path):
    code, modules = modules_after("--help", cwd=tmp_path)
    assert code in (0, None)
    assert forbidden(modules, ("jsonschema", "yaml", "reconciler.config", "reconciler.model", "reconciler.schema")) == []


def test_validate_of_valid_files_loads_no_jsonschema_and_no_http(tmp_path):
    code, modules = modules_after("validate", str(EXAMPLES), cwd=tmp_path)
    assert code in (0, None)
    assert "reconciler.schema_compiled" in modules  # the check did run, compiled
    assert forbidden(modules, ("jsonschema",)) == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate_words_errors_with_jsonschema_and_still_no_http(tmp_path, fmt):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nleaders:\n  desk:\n    settings: {position_type: crosss}\n    symbols: [BTC-SWAP-USDT]\n")
    code, modules = modules_after("validate", "--format", fmt, str(bad), cwd=tmp_path)
    assert code == 1
    assert "jsonschema" in modules  # there were errors to word
    allowed_render = {"reconciler.render", "reconciler.render.escape", "reconciler.render.as_json"}  # the error's words
    assert [m for m in forbidden(modules) if m not in allowed_render] == []
