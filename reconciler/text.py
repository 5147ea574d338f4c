"""Untrusted text made printable: control and format characters as visible escapes.

The one primitive under every sink's escaping (`render.escape`) and under the
exchange's own messages (`exchange.errors`): ESC, BEL, CR, LF, C1 controls, bidi
overrides, zero-width and line separators become `\\x1b` / `\\u202e` escapes, so
nothing moves a cursor, retitles a window, forges a line or reorders text. No
masking, no cut: the callers do those. Standard library only.
"""
from __future__ import annotations

_ESCAPED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls, format (bidi, zero-width), surrogates, separators


def _visible(char: str, category) -> str:
    if category(char) not in _ESCAPED_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def controls_visible(text: str) -> str:
    """Control and format characters as visible escapes (no masking, no cut)."""
    if text.isprintable():  # the common case: nothing to do (a space is printable, U+00A0 is not)
        return text
    from unicodedata import category  # only here, for start-up time

    return "".join(_visible(c, category) for c in text)
