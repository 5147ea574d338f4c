"""The README's sections, for the tests that check its examples are real output."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(heading: str = "GitOps in 10 minutes") -> str:
    """From the level-2 heading to the next level-2 heading outside a code fence."""
    lines = README.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {heading}"))
    fence = None
    for i in range(start + 1, len(lines)):
        m = re.match(r"^(`{3,}|~{3,})", lines[i])
        if m and fence is None:
            fence = m.group(1)
        elif m and lines[i].strip() == fence:
            fence = None
        elif fence is None and lines[i].startswith("## "):
            return "".join(lines[start:i])
    return "".join(lines[start:])
