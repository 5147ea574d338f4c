"""reconciler/schema_compiled.py, the schema compiled ahead of time, is exactly what the
current schema generates (so it cannot drift from the spec), and needs no fastjsonschema
at run time."""
from __future__ import annotations

import ast

from reconciler import schema


def test_the_checked_in_compiled_schema_is_what_the_current_schema_generates():
    assert schema.COMPILED.read_text(encoding="utf-8") == schema.compiled_code(), (
        "reconciler/schema_compiled.py is stale: run `python -m reconciler.schema`"
    )


def test_the_compiled_schema_imports_nothing_but_the_standard_library():
    tree = ast.parse(schema.COMPILED.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"re", "decimal"}


def test_every_entry_point_the_fast_path_uses_exists():
    for ref in (None, schema.LEADER, schema.POLICY):
        assert callable(schema._entry(ref))
    assert schema.surely_valid({"version": 1, "leaders": {"a": {"extends": "p"}}, "profiles": {"p": {}}})
    assert not schema.surely_valid({"version": 2})
