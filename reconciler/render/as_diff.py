"""A unified diff of the files `refresh` changes (or would change), for a terminal or a code block.

Every line is masked (a literal invite code in the file stays hidden) and its control
characters are made visible; tabs and line breaks are kept.
"""
from __future__ import annotations

import difflib

from reconciler import redact
from reconciler.render.escape import controls_visible


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _visible(line: str) -> str:
    body = line.rstrip("\r\n")
    return "\t".join(controls_visible(part) for part in body.split("\t")) + "\n"


def diff(files) -> str:
    """`files`: objects with `display`, `before` and `after` (refresh.FileChange)."""
    out = []
    for f in files:
        for line in difflib.unified_diff(_lines(f.before), _lines(f.after), f"a/{f.display}", f"b/{f.display}"):
            out.extend(_visible(part) for part in line.splitlines() or [""])
    return redact.mask("".join(out))
