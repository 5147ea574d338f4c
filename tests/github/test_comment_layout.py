"""The PR comment and drift issue layout (`as_markdown.document`) at 1, 7 and 200 leaders:
summary line first, blocked and error leaders next, every diff open within the budget,
in-sync leaders folded into one line, digest footer last, under GitHub's limit; and the
committed fixtures (markdown and cmark-gfm HTML) are what the code renders now."""
from __future__ import annotations

import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from comment_plans import SIZES, changed, in_sync, plans, update
from inert_kit import render_gfm

from reconciler.github import comment
from reconciler.model import Plan
from reconciler.render import as_markdown

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import regenerate  # noqa: E402


def _open_diff_chars(body: str) -> int:
    return sum(len(m) for m in re.findall(r"<details open>.*?</details>", body, re.S))


def _headings(html: str) -> list[str]:
    return re.findall(r"<h[23]>(.*?)</h[23]>", html)


def test_fixtures_are_what_the_code_renders():
    stale = [name for name, text in regenerate.documents().items()
             if not (FIXTURES / name).is_file() or (FIXTURES / name).read_text(encoding="utf-8") != text]
    assert not stale, f"fixtures out of date: run `.venv/bin/python tests/github/fixtures/regenerate.py` ({stale})"


@pytest.mark.parametrize("n", SIZES)
def test_the_comment_reads_top_down_and_fits(n):
    plan = plans()[n]
    body = regenerate.comment(plan)
    html = render_gfm(body)
    lines = body.split("\n")
    assert lines[0].startswith("<!-- leaderctl-plan path=leaders/ plan_sha256=")
    assert lines[1] == "## leaderctl plan · `leaders/`"
    assert re.match(r"\*\*Plan: \d+ leaders? to change\*\*", lines[3]), lines[3]  # the summary line comes first
    assert len(body) <= as_markdown.LIMIT < comment.LIMIT
    assert _open_diff_chars(body) <= as_markdown.OPEN_BUDGET + 2000  # the budget counts diff lines; tags on top
    writing = [lp for lp in plan.leaders if lp.writes]
    assert body.count("<details open>") == len(writing)  # within the budget: every diff open, no click needed
    attention = [lp for lp in plan.leaders if lp.status in ("blocked", "error")]
    heads = _headings(html)
    if attention:
        assert heads.index("Blocked and errors") < heads.index("Changes")
    for lp in attention:
        assert f"<code>{lp.name}</code>" in html.split("<h3>Changes</h3>")[0]  # named, with the reason, before the diffs
    quiet = [lp for lp in plan.leaders if lp.status == "in_sync" and not lp.writes]
    if quiet:
        fold = f"<summary>✅ {len(quiet)} in sync</summary>"
        assert body.count(fold) == 1 and body.index(fold) > body.rfind("<details open>")
    assert lines[-2].startswith("<sub>Planned at `4b825dc`") and "plan_sha256 `" in lines[-2]  # the digest, readable, last
    assert body.count("<details") == body.count("</details>") and len(re.findall(r"^```", body, re.M)) % 2 == 0


def test_200_leaders_fold_the_in_sync_ones_and_group_the_reasons():
    plan = plans()[200]
    body = regenerate.comment(plan)
    assert "**Plan: 26 leaders to change** (82 changes, 15 follower removals) · ⛔ 15 blocked · ❌ 2 errors · ✅ 157 in sync" in body
    assert body.count("`-32090`") == 1 and "15 leaders: `desk-005`, `desk-018`" in body  # one line per reason
    assert "| `desk-" not in body  # no row per leader
    assert len(body) < 15_000  # measured: 21,760 characters before the new layout, every diff collapsed


def test_largest_diffs_collapse_first_beyond_the_open_budget():
    small = changed("small", [update("profit_rate", Decimal(1), Decimal(2))])
    large = changed("large", [update("profit_rate", Decimal(i), Decimal(i + 1)) for i in range(40)])
    body = as_markdown.document(Plan([large, small]), open_budget=1000)
    assert "<details><summary><code>large</code> · 40 changes</summary>" in body
    assert "<details open><summary><code>small</code> · 1 change</summary>" in body
    assert body.index("<code>large</code>") < body.index("<code>small</code>")  # reading order kept


def test_what_does_not_fit_is_left_out_whole_with_a_note():
    plan = Plan([changed(f"d{i}", [update("profit_rate", Decimal(j), Decimal(j + 1)) for j in range(30)]) for i in range(8)] + [in_sync("q")])
    body = as_markdown.document(plan, limit=6000, overflow="The full plan is in the step summary.")
    assert len(body) <= 6000
    assert "Too long for one comment" in body and "The full plan is in the step summary." in body
    assert body.count("<details") == body.count("</details>") and len(re.findall(r"^```", body, re.M)) % 2 == 0
    assert body.startswith(as_markdown.MARKER + "\n## leaderctl plan\n\n**Plan: 8 leaders to change**")


def test_plural_words():
    one = as_markdown.document(plans()[1])
    assert "**Plan: 1 leader to change** (1 change) · ✅ 0 in sync" in one and "(s)" not in one
    assert "**Plan: no changes** · ✅ 1 in sync" in as_markdown.document(Plan([in_sync("a")]))


def test_drift_says_which_side_changed_and_leaves_follower_removals_out():
    plan = plans()[7]
    body = regenerate.drift_issue(plan)
    assert "**Drift: 3 leaders drifted** (8 changes) · ✅ 4 in sync" in body
    assert ('! settings.profit_sharing.rate changed outside the config: the exchange has "0.1", the config says "0.12"' in body)
    assert "followers" not in body and "1034" not in body and "follower removal" not in body
    only_removals = Plan([replace(lp, changes=[], status="in_sync") if lp.name == "eth-desk" else lp for lp in plan.leaders])
    assert "**Drift: 2 leaders drifted**" in regenerate.drift_issue(only_removals)
    assert "**No drift** · ✅ 1 in sync" in as_markdown.document(Plan([in_sync("a", removals=(5,))]), drift=True)


def test_every_diff_line_fits_a_github_comment_without_sideways_scrolling():
    """Code blocks do not wrap on GitHub (about 110 monospace characters show in a comment): a long
    drift line is broken after "changed outside the config:", a long plan line after its field,
    a long follower list between IDs, so every value is seen without a click."""
    fixtures = Path(__file__).parent / "fixtures"
    for md in sorted(fixtures.glob("*.md")):
        inside, long = False, []
        for line in md.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                inside = not inside
            elif inside and len(line) > 108:
                long.append(line)
        assert long == [], md.name
    assert ("!   the exchange has 2026-05-31T12:00:00Z (1780228800000),\n"
            "!   the config says 2026-06-01T12:00:00Z (1780315200000)") in (fixtures / "drift-7.md").read_text()
    assert ("! settings.cooldown.end (unLeadEndTime):\n"
            "!   2026-05-31T12:00:00Z (1780228800000) -> 2026-06-01T12:00:00Z (1780315200000)") in (fixtures / "comment-7.md").read_text()
