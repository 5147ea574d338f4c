"""Secrets masked by value: the one place that knows every secret of the run's leaders.

A leader's secrets are its API key and secret, its configured invite code (written in
the config or held by its `code_env` variable, whether or not this run sends it) and
its live invite code (from GET config). `leader_secrets` collects them; `remember`
adds them to this process's book; `mask` replaces each, in any letter case, with
"(sensitive)". Every sink masks: the renderers, the escaping of each sink
(`render.escape`), the exchange's own messages as they arrive, the CLI's error
boundary and the -v log.

Standard library only (the GitHub stale fallback may import it without leaderctl's
dependencies). The book is cleared when a command starts (`forget`), so one test
process running many commands masks only the current command's secrets.
"""
from __future__ import annotations

import os
import re
import threading
from typing import Any, Iterable

MASK = "(sensitive)"  # the same words as spec.SENSITIVE_TEXT

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern | None = None  # of _values, built when first needed after a change (_current)
_stale = False  # _values changed since _pattern was built: a run of 1,000 leaders remembers
# 3,000 values one at a time, and compiling the whole alternation at each made it quadratic


def _build(values: Iterable[str]) -> re.Pattern | None:
    ordered = sorted(set(values), key=lambda v: (-len(v), v))  # the longest first: no half-masked overlap
    return re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None


def remember(*values: object) -> None:
    """Add secrets to the book (empty and non-text values are ignored)."""
    global _stale
    new = {v for v in values if isinstance(v, str) and v.strip()}
    if not new:
        return
    with _lock:
        if new <= _values:
            return
        _values.update(new)
        _stale = True


def _current() -> re.Pattern | None:
    """The pattern of every remembered secret, rebuilt here if one was added since."""
    global _pattern, _stale
    if not _stale:
        return _pattern
    with _lock:
        if _stale:
            _pattern = _build(_values)
            _stale = False
        return _pattern


def forget() -> None:
    """Empty the book (a command starts)."""
    global _pattern, _stale
    with _lock:
        _values.clear()
        _pattern = None
        _stale = False


def mask(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every known secret (and each of `extra`), in any letter case, as (sensitive)."""
    pattern = _current()
    extra = [e for e in extra if isinstance(e, str) and e]
    if extra:
        pattern = _build([*extra, *_values])
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_tree(value: Any) -> Any:
    """A JSON-like value with every string in it masked (mappings' keys too)."""
    if _current() is None:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_tree(k): mask_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_tree(v) for v in value]
    return value


def leader_secrets(spec, *, key: str | None = None, secret: str | None = None, environ=os.environ) -> tuple[str, ...]:
    """Every secret value one leader has that this process can know before asking the exchange:
    its key and secret (given, or from its credential variables), its invite code written in
    the config, and the one its `code_env` variable holds (sent this time or not)."""
    creds = getattr(spec, "credentials", None)
    found = [
        key if key is not None else (environ.get(creds.api_key_env) if creds else None),
        secret if secret is not None else (environ.get(creds.api_secret_env) if creds else None),
        getattr(getattr(spec, "settings", None), "invite_code", None),
        environ.get(spec.invite_code_env) if getattr(spec, "invite_code_env", None) else None,
    ]
    return tuple(v for v in found if isinstance(v, str) and v)


def remember_leader(spec, *, key: str | None = None, secret: str | None = None) -> None:
    remember(*leader_secrets(spec, key=key, secret=secret))


def remember_live_config(data: Any) -> None:
    """The live invite code of a GET config answer (the exchange's `inviteCode`)."""
    if isinstance(data, dict):
        remember(data.get("inviteCode"))


class MaskFilter:
    """A logging filter (any object with `filter` is one; `logging` itself is not imported here,
    for start-up time): masks every record that passes a handler, the -v request log included."""

    def filter(self, record) -> bool:
        if _current() is not None:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed record is logging's own business
                return True
            record.msg, record.args = mask(message), None
        return True
