"""README "GitOps in 10 minutes": the workflow and the plan comment it shows are real output."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from readme_kit import section

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "<commit of v0.2.0>"


def test_the_workflow_shown_is_what_init_writes(tmp_path, monkeypatch):
    (tmp_path / "leaders").mkdir()
    shutil.copy(ROOT / "examples" / "desk-btc.yaml", tmp_path / "leaders" / "desk-btc.yaml")
    monkeypatch.chdir(tmp_path)
    sha = "9" * 40
    r = CliRunner().invoke(cli, ["init", "github", "--action-ref", sha], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    shown = re.search(r"`leaderctl init github` writes:\n\n```yaml\n(.*?)^```$", section(), re.S | re.M).group(1)
    assert shown.count(PLACEHOLDER) == 3
    assert shown == r.stdout.replace(sha, PLACEHOLDER), "README's workflow is out of date; paste this:\n" + r.stdout
    assert "leaderctl init github -o .github/workflows/leaderctl.yml" in section()


def test_the_plan_comment_shown_is_what_plan_posts(kit):
    (kit.root / "examples").rename(kit.root / "leaders")
    assert kit.run("apply", "--no-verify-plan", "leaders/", event="push", payload={}).code == 0
    kit.edit("leaders/desk-btc.yaml", 'rate: "0.1"', 'rate: "0.12"')
    kit.edit("leaders/desk-btc.yaml", "      - ETH-SWAP-USDT\n", "      - ETH-SWAP-USDT\n      - SOL-SWAP-USDT\n")
    kit.edit("leaders/desks/eth-desk.yaml", "asset: 50", "asset: 75")
    r = kit.run("plan", "leaders/")
    assert r.code == 0, r.output
    (c,) = kit.comments()
    shown = re.search(r"^````markdown\n(.*?)^````$", section(), re.S | re.M).group(1)
    assert shown == c["body"], "README's plan comment example is out of date; paste this:\n" + c["body"]


def test_the_section_names_the_whole_adoption():
    s = section()
    for needle in ("leaderctl init github", "--check", "`production`", "Branch protection", "status check `plan`",
                   "read-only", "v0.2.0", "--action-ref", "`leaderctl/leaderctl`", "requirements/action.lock",
                   "verify-plan: false", "the plan changed since it was reviewed", "`drift`", "65,536"):
        assert needle in s, needle
    for gone in ("LEADERCTL_INSTALL", "LEADERCTL_CONFIG", "github-script"):  # the old hand-copied workflows
        assert gone not in s, gone
