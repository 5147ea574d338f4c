"""One way to write a file: completely or not at all.

The text goes to a temporary file in the same directory, is flushed to disk, then
renamed over the target (atomic on POSIX), so a reader never sees half a file and
a full disk never leaves a truncated one. On any error the temporary file is
removed and the error raised: callers decide whether it is fatal.

`before_replace` runs right before the rename (and may raise to stop it): `refresh`
checks there that the file still holds the bytes it read, so an edit made meanwhile
is never overwritten.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def atomic_write(path: str | Path, text: str, *, mode: int | None = None, before_replace: Callable[[], None] | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
