"""Exchange text in the plan comment and the step summary is inert (CONTRACT §9): rendered
by GitHub's own markdown renderer, it makes no mention, link, image or HTML."""
from __future__ import annotations

from inert_kit import HOSTILE_MESSAGE, live_markup

from reconciler.sandbox import Fault

CONFIG_PATH = "/api/v2/copy-trading/leader/config"
OURS = ("https://github.com/",)  # the footer's link to the run


def test_an_exchange_message_is_not_live_markdown_in_the_plan_comment(kit):
    kit.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=HOSTILE_MESSAGE, times=None))
    r = kit.run("plan", "examples/")
    assert r.code == 1, r.output
    (c,) = kit.comments()
    assert "@octocat" in c["body"]  # shown, as text
    assert live_markup(c["body"], OURS) == [], c["body"]
    assert "@octocat" in r.summary and live_markup(r.summary, OURS) == [], r.summary


def test_live_symbol_ids_are_not_live_markdown_in_the_drift_issue(kit):
    state = kit.sb.account_state("desk-btc")
    state["symbols"] += [{"symbolId": s, "leverage": "10", "isLead": 1}
                         for s in ("@octocat", "<!channel>", "[x](https://evil.example)", "```", "<img>")]
    kit.sb.save()
    r = kit.run("drift", "examples/", event="schedule", payload={}, sha="d" * 40)
    assert r.code == 2, r.output
    (issue,) = kit.gh.open_issues()
    assert "@octocat" in issue["body"] and live_markup(issue["body"], OURS) == [], issue["body"]
    assert live_markup(r.summary, OURS) == [], r.summary
