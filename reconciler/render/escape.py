"""Exchange text made inert, one function per sink: the only place that knows how.

Exchange text is anything that came from the exchange (error messages, symbol IDs,
names, order fields) or from GitHub. Each function first masks every known secret
(`reconciler.redact`), then escapes for its sink:

- `for_terminal`: control and format characters (ESC, BEL, CR, LF, C1 controls, bidi
  overrides, zero-width and line separators) as visible `\\x1b` / `\\u202e` escapes
  (`reconciler.text`, which the exchange's error messages use too),
  so nothing moves a cursor, retitles a window, forges a line or reorders text.
- `for_markdown`: inline markdown that renders nothing: the text in code spans (each
  fenced by more backticks than any run inside), its pipes between them as `\\|`, so
  it is the same in prose, list items and table cells; control characters (newlines
  included) escaped as for the terminal, so it never starts a block; bounded length.
  No mention, link, autolink, image, HTML, heading or table break can come of it.
- `for_html`: the same inside raw HTML (a `<summary>` line): HTML-escaped, in `<code>`.
- `markdown_block`: several lines as a fenced code block that they cannot close.
- `for_slack`: Slack mrkdwn text: `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (Slack's own
  rule; no `<!channel>`, `<@U..>` or `<url|label>` can come of it), `@channel`, `@here`
  and `@everyone` broken by a word joiner, control characters escaped; bounded length.

Standard library only.
"""
from __future__ import annotations

import re

from reconciler import redact
from reconciler.text import controls_visible

MARKDOWN_LIMIT = 500  # characters of exchange text in one markdown value
SLACK_LIMIT = 3000
ELLIPSIS = "…"

_BACKTICKS = re.compile(r"`+")
_SLACK_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def for_terminal(text: str, *, limit: int | None = None) -> str:
    """One piece of exchange text for a terminal (or any plain-text sink): masked, printable."""
    return controls_visible(_cut(redact.mask(str(text)), limit))


def _code_span(text: str) -> str:
    if not text:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    # CommonMark strips one space on each side when both are there: pad, so the text is exact
    # and a backtick at either end cannot join the fence
    pad = " " if (text[0] in "` " or text[-1] in "` ") and text.strip(" ") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def for_markdown(text: str, *, limit: int | None = MARKDOWN_LIMIT) -> str:
    """One piece of exchange text as inline markdown that renders nothing (code spans)."""
    line = controls_visible(_cut(redact.mask(str(text)), limit))
    return "\\|".join(_code_span(part) for part in line.split("|"))


def for_html(text: str, *, limit: int | None = MARKDOWN_LIMIT) -> str:
    """One piece of exchange text inside raw HTML of a markdown document (a <summary> line,
    where markdown is not parsed): HTML-escaped, in <code> (so GitHub links no mention)."""
    import html

    line = controls_visible(_cut(redact.mask(str(text)), limit))
    return f"<code>{html.escape(line, quote=True)}</code>"


def markdown_block(text: str, info: str = "") -> str:
    """Lines of text as a fenced code block: masked, controls escaped line by line, a fence
    longer than any backtick run inside (so no line can close it)."""
    lines = [controls_visible(line) for line in redact.mask(str(text)).split("\n")]
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + info, *lines, fence])


def for_slack(text: str, *, limit: int | None = SLACK_LIMIT) -> str:
    """One line of Slack mrkdwn from exchange text: masked, printable, `&<>` escaped, no mentions."""
    line = controls_visible(_cut(redact.mask(str(text)), limit))
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SLACK_MENTION.sub("@" + _WORD_JOINER, line)


def lines_for_terminal(text: str) -> str:
    """Text of several lines (an error report) for a terminal: each line escaped, the line breaks kept."""
    return "\n".join(for_terminal(line) for line in str(text).split("\n"))
