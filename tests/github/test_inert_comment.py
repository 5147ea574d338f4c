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
