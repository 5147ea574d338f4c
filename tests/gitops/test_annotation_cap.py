"""GitHub shows 10 `::error` and 10 `::warning` annotations per step and drops the rest:
leaderctl emits at most that many of each, one per leader (or config file) when there are
more, the most severe first, the last one saying how many more there are."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))
from comment_plans import blocked, changed, plans, update  # noqa: E402

from reconciler.github import step_report  # noqa: E402
from reconciler.errors import ConfigError, ConfigIssue  # noqa: E402
from reconciler.model import Plan  # noqa: E402
from decimal import Decimal  # noqa: E402


def _kinds(lines):
    return [x for x in lines if x.startswith("::error ")], [x for x in lines if x.startswith("::warning ")]


def test_200_leaders_give_10_errors_and_10_warnings_most_severe_first():
    plan = plans()[200]
    errors, warnings = _kinds(step_report.annotations(plan))
    assert len(errors) == 10 and len(warnings) == 10
    assert "desk-017 (-1022)" in errors[0] and "desk-133 (-1022)" in errors[1]  # in error before blocked
    assert errors[-1].endswith("… and 8 more leaders blocked or in error: every one is in the step summary and the log")
    assert "desk-042" in warnings[0]  # the most changes first
    assert warnings[-1].startswith("::warning title=leaderctl::… and ")
    assert len({w.split("title=", 1)[1].split("::", 1)[0] for w in warnings[:-1]}) == 9  # one per leader


def test_few_annotations_keep_one_per_change_at_its_line():
    plan = Plan([changed("a", [update("profit_rate", Decimal("0.1"), Decimal("0.2")),
                               update("follower_min_asset", Decimal(1), Decimal(2))]), blocked("b", "DOGE-SWAP-USDT")])
    errors, warnings = _kinds(step_report.annotations(plan))
    assert len(errors) == 1 and "-32090" in errors[0]
    assert len(warnings) == 3  # two changes of a, the blocked b's one: every one shown
    assert "will change from \"0.1\" to \"0.2\"" in warnings[0]


def test_drift_annotations_say_drift():
    (w,) = [x for x in step_report.annotations(plans()[1], drift=True) if x.startswith("::warning")]
    assert "changed outside the config: the exchange has \"0.1\", the config says \"0.12\"" in w


def test_config_errors_are_one_per_file_beyond_ten(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    issues = [ConfigIssue(f"f{i:02d}.yaml", line, 1, "leaders", "bad") for i in range(14) for line in (2, 5)]
    step_report.report_failure("plan", ConfigError(issues))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("::error file=f00.yaml,line=2,col=1,") and "leaders: bad; leaders: bad" in lines[0]
    assert lines[-1].endswith("… and 5 more files with errors: every one is in the step summary and the log")

    step_report.report_failure("plan", ConfigError(issues[:3]))  # few: each at its own line
    lines = capsys.readouterr().err.splitlines()
    assert [x.split(",col")[0] for x in lines] == ["::error file=f00.yaml,line=2", "::error file=f00.yaml,line=5", "::error file=f01.yaml,line=2"]
