"""Property tests of `reconciler.render.escape` and `reconciler.redact`: random exchange text
(markdown, Slack, HTML and ANSI metacharacters, backtick runs, newlines, pipes, any
unicode) through every sink function and the renderers that use them. Markdown is
checked with GitHub's own renderer (cmark-gfm): nothing renders, nothing breaks out of
its code span or table cell, and the text reads back exactly as escaped."""
from __future__ import annotations

import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from inert_kit import live_markup, render_gfm, slack_unescaped

from reconciler import redact
from reconciler.model import Action, Change, LeaderOutcome, LeaderPlan, LeaderResult, LeaderStatus, Plan, Problem, Result
from reconciler.render import as_markdown, as_text, render_plan
from reconciler.render.escape import (
    MARKDOWN_LIMIT,
    controls_visible,
    for_html,
    for_markdown,
    for_slack,
    for_terminal,
    markdown_block,
)

FRAGMENTS = [
    "`", "``", "```", "````", "|", "||", "\\", "\\|", "<", ">", "&", "&amp;", "&lt;", "@", "@octocat", "@acme/admins",
    "#1", "GH-1", "[x](https://evil.example)", "![i](https://evil.example/i.png)", "<https://evil.example>",
    "https://evil.example/login", "www.evil.example", "a@evil.example", "<!channel>", "<!here>", "@here", "@channel",
    "<@U123>", "<https://evil.example|BTC-SWAP-USDT>", "<img src=x onerror=alert(1)>", "<b>", "</details>",
    "<!-- c -->", "<script>", "# head", "---", "|---|", "- [ ] ", "> ", "*", "**", "_", "~~", "$x$", ":tada:",
    "\n", "\r\n", "\r", "\t", " ", "  ", "\x00", "\x07", "\x1b[31m", "\x1b]0;t\x07", "\x85", "\x9b", "\u200b",
    "\u202e", "\u2066", "\u2028", "\u2029", "\ufeff", "\U0001f600", "é", "你好", "\u00a0",
]
TEXT = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=30).map("".join),
    st.text(max_size=80),
    st.text(alphabet="`| \\<>&@[]()!#\n", max_size=60),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ESCAPED = ("Cc", "Cf", "Cs", "Zl", "Zp")


@pytest.fixture(autouse=True)
def _empty_book():
    redact.forget()
    yield
    redact.forget()


def expected(text: str, limit: int | None = MARKDOWN_LIMIT) -> str:
    """What a person should read: the text cut to the limit, control characters as escapes."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return controls_visible(text)


class _Text(HTMLParser):
    """The text of each <p> and of each table cell, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.rows: list[list[str]] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "td", "th", "li"):
            self._in = tag
            self.blocks.append("")
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self.blocks[-1])
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.blocks[-1] += data


def read(markdown: str) -> _Text:
    parser = _Text()
    parser.feed(render_gfm(markdown))
    parser.close()
    return parser


@SETTINGS
@given(TEXT)
def test_markdown_in_prose_renders_nothing_and_reads_back_exactly(text):
    md = "before " + for_markdown(text) + " after"
    assert live_markup(md) == [], md
    (block,) = read(md).blocks  # one paragraph: no heading, list, quote or code block came of it
    assert block == "before " + expected(text) + " after", md


@SETTINGS
@given(TEXT, TEXT)
def test_markdown_in_a_table_cell_stays_in_its_cell(left, right):
    md = "| a | b | c |\n|---|---|---|\n| " + for_markdown(left) + " | " + for_markdown(right) + " | end |\n\nafter"
    assert live_markup(md) == [], md
    parsed = read(md)
    assert len(parsed.rows) == 2 and len(parsed.rows[1]) == 3, md
    assert [c.strip(" ") for c in parsed.rows[1]] == [expected(left).strip(" "), expected(right).strip(" "), "end"], md
    assert parsed.blocks[-1] == "after"


@SETTINGS
@given(TEXT)
def test_markdown_in_a_list_item_renders_nothing(text):
    md = f"- ⛔ `-1130` {for_markdown(text)}\n- next\n"
    assert live_markup(md) == [], md
    assert read(md).blocks == [("⛔ -1130 " + expected(text)).rstrip(" ") if not text else "⛔ -1130 " + expected(text), "next"], md


@SETTINGS
@given(TEXT)
def test_html_inside_a_summary_line_renders_nothing(text):
    md = f"<details><summary>{for_html(text)} · 1 problem</summary>\n\nbody\n\n</details>\n\nafter"
    assert live_markup(md) == [], md
    html = render_gfm(md)
    assert html.count("<summary>") == 1 and html.count("</details>") == 1 and "<p>after</p>" in html, md


@SETTINGS
@given(st.lists(TEXT, max_size=5).map("\n".join))
def test_a_markdown_block_cannot_be_closed_by_its_lines(text):
    md = markdown_block(text) + "\n\nafter @octocat"
    html = render_gfm(md)
    assert html.count("<pre>") == 1 and html.count("</pre>") == 1, md
    assert live_markup(md) == ["mention 'after @octocat'"], md  # only the line after the block is live
    assert html.rstrip().endswith("<p>after @octocat</p>")


@SETTINGS
@given(TEXT)
def test_terminal_text_has_no_control_character_left(text):
    out = for_terminal(text)
    assert not [c for c in out if unicodedata.category(c) in ESCAPED], repr(out)
    if not [c for c in text if unicodedata.category(c) in ESCAPED]:
        assert out == text  # nothing to escape: unchanged


@SETTINGS
@given(TEXT)
def test_slack_text_has_no_unescaped_markup(text):
    out = for_slack(text)
    assert slack_unescaped(out) == [], repr(out)
    assert "\n" not in out and "\r" not in out
    readable = out.replace("\u2060", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert readable == expected(text, None)


SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=6, max_size=64)


@SETTINGS
@given(TEXT, SECRET, st.sampled_from([str.upper, str.lower, str.swapcase, str.title, lambda s: s]))
def test_a_known_secret_in_any_letter_case_never_reaches_a_sink(text, secret, spelling):
    assume(secret.lower() not in redact.MASK.lower())  # "SENSIT" is in every "(sensitive)": not a leak
    redact.remember(secret)
    hostile = text + spelling(secret) + text
    for sink in (for_terminal, for_markdown, for_html, for_slack, markdown_block, redact.mask):
        assert secret.lower() not in sink(hostile).lower(), sink


@SETTINGS
@given(st.lists(TEXT, min_size=1, max_size=3), TEXT)
def test_the_markdown_renderers_render_nothing_from_exchange_text(messages, symbol):
    leader = LeaderPlan(
        "desk", LeaderStatus.ERROR,
        changes=[Change("symbols", "symbolIds", Action.REMOVE, before=symbol)],
        problems=[Problem(m, code=-1130) for m in messages],
    )
    plan = Plan(leaders=[leader])
    for md in (as_markdown.plan(plan), as_markdown.result(Result([LeaderResult(leader, LeaderOutcome.FAILED, messages)]))):
        assert live_markup(md) == [], md
    benign = LeaderPlan("desk", LeaderStatus.ERROR, changes=[Change("symbols", "symbolIds", Action.REMOVE, before="x")],
                        problems=[Problem("m", code=-1130) for _ in messages])
    for hostile, calm in (
        (render_plan(plan, "text"), render_plan(Plan(leaders=[benign]), "text")),
        (as_text.result(Result([LeaderResult(leader, LeaderOutcome.FAILED, messages)])),
         as_text.result(Result([LeaderResult(benign, LeaderOutcome.FAILED, ["m"] * len(messages))]))),
    ):
        assert not [c for c in hostile if unicodedata.category(c) in ESCAPED and c != "\n"], repr(hostile)
        assert hostile.count("\n") == calm.count("\n")  # no line forged
