"""This repository's own `.github/` and `action.yml`: actionlint and zizmor (every
persona) find nothing, every action is pinned to a commit, permissions per job,
and the workflows are self-tests of the action against the sandbox."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from lint_kit import PERSONAS, actionlint, zizmor

from reconciler.github import workflow

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "plan.yml", "apply.yml", "drift.yml")
# Every third-party action used here, at the commit of its release tag (read with
# `git rev-parse vX.Y.Z^{commit}` in a clone of its repository).
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
}
README_TEST = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict) -> list[dict]:
    if "runs" in doc:
        return doc["runs"]["steps"]
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def test_actionlint_finds_nothing():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {f.name for f in files} == set(NAMES)
    assert actionlint(files, ROOT) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_zizmor_finds_nothing(persona):
    assert zizmor([ROOT / ".github", ROOT / "action.yml"], ROOT, persona) == []


def test_every_action_is_pinned_to_a_release_commit():
    pinned = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
    for path in [*sorted(WORKFLOWS.glob("*.yml")), ROOT / "action.yml"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" not in line or line.lstrip().startswith("#"):
                continue
            if re.match(r"^\s*(?:- )?uses: \./ ", line):
                continue  # this repository's own action
            m = pinned.match(line)
            assert m, f"{path.name}: not pinned to a commit with its version: {line.strip()}"
            assert PINS[m.group(1)] == (m.group(2), m.group(3)), f"{path.name}: {line.strip()}"
    assert workflow.CHECKOUT == ("actions/checkout", *PINS["actions/checkout"])


def test_permissions_are_per_job():
    expected = {
        "ci.yml": {"test": {"contents": "read"}, "action": {"contents": "read"}},
        "plan.yml": {"plan": {"contents": "read", "pull-requests": "write"}},
        "apply.yml": {"apply": {"contents": "read", "pull-requests": "read"}},
        "drift.yml": {"drift": {"contents": "read", "issues": "write"}},
    }
    for name, jobs in expected.items():
        doc = load(WORKFLOWS / name)
        assert doc["permissions"] == {}, name
        assert {job_id: job["permissions"] for job_id, job in doc["jobs"].items()} == jobs, name
        for s in steps(doc):
            if "actions/checkout@" in s.get("uses", ""):
                assert s["with"]["persist-credentials"] is False


def test_ci_runs_the_readme_test_command_and_the_action():
    doc = load(WORKFLOWS / "ci.yml")
    assert set(doc["on"]) == {"push", "pull_request"}
    assert README_TEST in (ROOT / "README.md").read_text(encoding="utf-8")
    (test,) = [s for s in doc["jobs"]["test"]["steps"] if s.get("name") == "Install and test"]
    assert test["run"].strip() == README_TEST
    (action,) = [s for s in doc["jobs"]["action"]["steps"] if s.get("uses") == "./"]
    assert action["with"] == {"command": "validate", "path": "examples/"}


def _self_test(name: str) -> list[dict]:
    doc = load(WORKFLOWS / name)
    found = [s for s in steps(doc) if s.get("uses") == "./"]
    assert found, name
    for s in found:
        assert s["with"]["path"] == "examples/" and s["with"]["sandbox"] == "true", name
    return found


def test_plan_apply_drift_are_self_tests_of_the_action_against_the_sandbox():
    plan = load(WORKFLOWS / "plan.yml")
    assert plan["on"] == {"pull_request": None}  # no paths filter: a required check never waits forever
    assert [s["with"]["command"] for s in _self_test("plan.yml")] == ["plan"]

    apply = load(WORKFLOWS / "apply.yml")
    assert apply["on"] == {"push": {"branches": ["main"]}}
    assert apply["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False
    reviewed, unverified = _self_test("apply.yml")
    assert reviewed["with"]["command"] == unverified["with"]["command"] == "apply"
    assert "verify-plan" not in reviewed["with"] and unverified["with"]["verify-plan"] == "false"

    drift = load(WORKFLOWS / "drift.yml")
    assert drift["on"] == {"workflow_dispatch": None}  # a fresh sandbox always drifts: by hand only
    assert [s["with"]["command"] for s in _self_test("drift.yml")] == ["drift"]
    # the sandbox needs no secrets: none are read anywhere
    for name in NAMES:
        assert "secrets." not in (WORKFLOWS / name).read_text(encoding="utf-8"), name
