"""The README's "GitOps in 10 minutes" shows real output: keep it real."""
from __future__ import annotations

import json
import re

from gitops_testkit import REPO, Receiver, workspace


def section() -> str:
    """From its heading to the next level-2 heading outside a code fence."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("## GitOps in 10 minutes"))
    fence = None
    for i in range(start + 1, len(lines)):
        m = re.match(r"^(`{3,}|~{3,})", lines[i])
        if m and fence is None:
            fence = m.group(1)
        elif m and lines[i].strip() == fence:
            fence = None
        elif fence is None and lines[i].startswith("## "):
            return "".join(lines[start:i])
    return "".join(lines[start:])


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
