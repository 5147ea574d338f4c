"""The README's "GitOps in 10 minutes" shows real output: keep it real."""
from __future__ import annotations

import json
import re

from readme_kit import section
from gitops_testkit import REPO, Receiver, workspace


def test_section_is_there_and_keeps_the_drift_alerts():
    s = section()
    for needle in ("`production`", "`drift`", "--webhook URL", "read-only", "Branch protection", "--prometheus"):
        assert needle in s, needle


def test_webhook_example_is_real_output(tmp_path):
    ws = workspace(tmp_path)
    assert ws.leaderctl("apply", "--sandbox", "--auto-approve", "examples/").code == 0
    ws.edit_live_config("desk-btc", profitRate="0.15", tradeProtect=0)
    with Receiver() as hook:
        assert ws.leaderctl("drift", "--sandbox", "--webhook", hook.url, "examples/").code == 2
    text = json.loads(hook.bodies[0])["text"]
    shown = re.search(r"^```text\n(leaderctl drift:.*?)\n^```$", section(), re.S | re.M).group(1)
    assert shown == text, "README's webhook example is out of date; paste this:\n" + text
