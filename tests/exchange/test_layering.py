"""The exchange package imports nothing of the app: only the standard-library leaf
modules every layer shares (errors, redact, text, atomic)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent
FOUNDATION = {"reconciler.errors", "reconciler.redact", "reconciler.text", "reconciler.atomic"}


def imported(path: Path) -> set[str]:
    """Every reconciler module a file imports, at module level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update(f"{node.module}.{a.name}" if node.module == "reconciler" else node.module for a in node.names)
    return {n for n in names if n == "reconciler" or n.startswith("reconciler.")}


def test_no_exchange_module_imports_the_app():
    files = sorted((PACKAGE / "exchange").glob("*.py"))
    assert len(files) > 10
    upward = {f.name: sorted(n for n in imported(f) if not n.startswith("reconciler.exchange") and n not in FOUNDATION)
              for f in files}
    assert {name: found for name, found in upward.items() if found} == {}


def test_the_foundation_modules_import_no_other_reconciler_module():
    for name in FOUNDATION:
        path = PACKAGE / f"{name.split('.')[1]}.py"
        assert imported(path) <= FOUNDATION - {name}, name


def test_importing_the_client_loads_no_app_module():
    code = ("import sys\n"
            "from reconciler.exchange import Connection, LeaderClient, error_for_code\n"
            "print(sorted(m for m in sys.modules if m.startswith('reconciler')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(eval(out))  # a printed list of module names
    assert {m for m in loaded if not m.startswith("reconciler.exchange")} <= FOUNDATION | {"reconciler"}
    assert "reconciler.exchange.client" in loaded
