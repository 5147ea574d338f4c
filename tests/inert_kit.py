"""Checks that text is inert where it lands: markdown rendered by GitHub's own renderer
(cmark-gfm, with its table, autolink, strikethrough and tag-filter extensions), and
Slack's mrkdwn rules. Not a test module (no `test_` prefix).

`live_markup(markdown)` renders the markdown and returns what would be live in it: links,
images, HTML elements a report of ours never uses, and @mentions or #references outside
code (GitHub links those after rendering, except inside <code> and <pre>).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# the elements leaderctl's own reports use (the comment's layout, tables, lists, code)
OURS = {
    "p", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "h1", "h2", "h3", "h4",
    "strong", "em", "details", "summary", "blockquote", "sub", "br", "hr",
}
_MENTION = re.compile(r"(?<![\w`])[@#][\w/-]")


def render_gfm(markdown: str) -> str:
    """HTML as GitHub renders it (raw HTML kept, so that any that gets through is seen)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


class _Walker(HTMLParser):
    def __init__(self, links_to: tuple[str, ...] = ()):
        super().__init__(convert_charrefs=True)
        self.links_to = links_to
        self.stack: list[str] = []
        self.live: list[str] = []
        self.code_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and self.links_to and href.startswith(self.links_to):
            pass  # a link of ours (the run's page)
        elif tag not in OURS:
            self.live.append(f"<{tag} {href}>" if href else f"<{tag}>")
        if tag not in ("br", "hr"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in OURS:
            self.live.append(f"<{tag}/>")

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "code" in self.stack or "pre" in self.stack:
            self.code_text.append(data)
            return
        for m in _MENTION.finditer(data):
            self.live.append(f"mention {data[max(0, m.start() - 10): m.end() + 20]!r}")

    def handle_comment(self, data):
        pass  # markers are ours; a comment is not visible either way


def live_markup(markdown: str, links_to: tuple[str, ...] = ()) -> list[str]:
    """`links_to`: URL prefixes of links the report itself makes (they are not live exchange text)."""
    walker = _Walker(links_to)
    walker.feed(render_gfm(markdown))
    walker.close()
    return walker.live


def code_text(markdown: str) -> str:
    """The text of every <code>/<pre> element of the rendered markdown, concatenated."""
    walker = _Walker()
    walker.feed(render_gfm(markdown))
    walker.close()
    return "".join(walker.code_text)


def slack_unescaped(text: str) -> list[str]:
    """Slack mrkdwn: `<` and `>` must never appear raw, `&` only as &amp; &lt; &gt;."""
    bad = [c for c in text if c in "<>"]
    bad += [m.group() for m in re.finditer(r"&(?!amp;|lt;|gt;)\S{0,6}", text)]
    bad += [m.group() for m in re.finditer(r"(?i)@(channel|here|everyone)\b", text)]
    return bad


HOSTILE_MESSAGE = (
    "@octocat @acme/admins [re-authenticate here](https://evil.example/login) "
    "![x](https://evil.example/x.png) <img src=x onerror=alert(1)> <https://evil.example> | cell | #1 "
    "``` </details> www.evil.example"
)
