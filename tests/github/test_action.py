"""action.yml: its interface, its hash-pinned install (run for real, offline when
the machine has a local wheel directory), and its shell steps run as the runner
runs them (`bash -eo pipefail`) against the sandbox and the fake GitHub API."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from fake_github import REPO, TOKEN, FakeGitHub  # noqa: F401 (FakeGitHub: type of the gh fixture)
from github_kit import EXAMPLES, HEAD_SHA

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "action.lock"
LOCAL_WHEELS = Path(os.environ.get("LEADERCTL_TEST_WHEELS", "/opt/pypi/files"))


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def step(name_or_id: str) -> dict:
    for s in action()["runs"]["steps"]:
        if s.get("id") == name_or_id or s.get("name") == name_or_id:
            return s
    raise AssertionError(name_or_id)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, tuple[str, list[str]]]:
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)\s+(.*)$", line)
        assert m, f"not a pinned requirement with hashes: {line}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", m.group(3))
        assert hashes and len(hashes) == len(m.group(3).split()), line
        pins[_norm(m.group(1))] = (m.group(2), hashes)
    return pins


# ---------------------------------------------------------------- the interface


def test_inputs_and_outputs_are_the_contracts():
    a = action()
    assert a["runs"]["using"] == "composite"
    inputs = a["inputs"]
    assert set(inputs) == {"command", "path", "leader", "sandbox", "verify-plan", "github-token", "refresh-pr"}
    assert inputs["command"]["required"] is True
    assert {k: v.get("default") for k, v in inputs.items() if k != "command"} == {
        "path": "leaders/", "leader": "", "sandbox": "false", "verify-plan": "true", "github-token": "${{ github.token }}",
        "refresh-pr": "false",
    }
    assert a["outputs"]["exitcode"]["value"] == "${{ steps.run.outputs.exitcode }}"


def test_inputs_reach_the_shell_through_env_only():
    for s in action()["runs"]["steps"]:
        if "run" in s:
            assert "${{" not in s["run"], f"template expansion inside run: of {s.get('name')}"
            assert s["shell"] == "bash"
    py = step("python")
    assert py["uses"].startswith("actions/setup-python@") and py["with"]["update-environment"] is False


def test_the_lock_pins_every_runtime_dependency():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {_norm(re.split(r"[<>=!~; \[]", d, 1)[0]) for d in deps}
    pins = lock_pins()
    assert names <= set(pins), f"not in {LOCK.name}: {sorted(names - set(pins))}"
    assert "setuptools" in pins  # builds leaderctl itself with --no-build-isolation
    # every wheel of the lock that this machine has locally is the file whose hash is pinned
    if LOCAL_WHEELS.is_dir():
        import hashlib

        text = LOCK.read_text(encoding="utf-8")
        checked = 0
        for wheel in re.findall(r"^# (\S+\.whl)$", text, re.M):
            local = LOCAL_WHEELS / wheel
            if local.exists():
                digest = hashlib.sha256(local.read_bytes()).hexdigest()
                name = _norm(wheel.split("-", 1)[0])
                assert digest in pins[name][1], wheel
                checked += 1
        assert checked >= len(names)


# ---------------------------------------------------------------- the steps, run


def _bash(script: str, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not re.match(r"^(GITHUB_|LEADERCTL_|RUNNER_|PIP_REQUIRE_VIRTUALENV)", k)}
    full["NO_PROXY"] = "127.0.0.1,localhost"
    full.update(env)
    path = cwd / f"step-{abs(hash(script))}.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The install step, for real: a fresh venv, the lock with --require-hashes, then leaderctl."""
    tmp = tmp_path_factory.mktemp("action")
    checkout = tmp / "action"  # the action's checkout (github.action_path)
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy(ROOT / name, checkout / name)
    for name in ("reconciler", "requirements", "schemas"):
        shutil.copytree(ROOT / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {"ACTION_PATH": str(checkout), "PYTHON": sys.executable, "VENV": str(tmp / "venv")}
    if LOCAL_WHEELS.is_dir():  # the machine's wheels first; the index for a pin they lack (cronsim)
        env.update({"PIP_FIND_LINKS": str(LOCAL_WHEELS)})
    r = _bash(step("install")["run"], tmp, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("leaderctl, version ")
    freeze = subprocess.run([str(tmp / "venv" / "bin" / "python"), "-m", "pip", "freeze", "--all"], capture_output=True, text=True).stdout
    installed = {_norm(line.split("==")[0]): line.split("==")[1] for line in freeze.splitlines() if "==" in line}
    for name, (version, _) in lock_pins().items():
        assert installed.get(name) == version, name  # exactly the lock's versions
    return {"tmp": tmp, "checkout": checkout, "venv": tmp / "venv"}


def test_a_tampered_lock_does_not_install(tmp_path):
    bad = tmp_path / "action.lock"
    text = LOCK.read_text(encoding="utf-8")
    first = re.search(r"--hash=sha256:([0-9a-f]{64})", text).group(1)
    bad.write_text(text.replace(first, "0" * 64), encoding="utf-8")
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(LOCAL_WHEELS)} if LOCAL_WHEELS.is_dir() else {}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "v")], check=True)
    r = _bash(f'"{sys.executable}" -m pip --python "{tmp_path}/v/bin/python" install --require-hashes --only-binary :all: -r "{bad}" --dry-run --ignore-installed',
              tmp_path, env)
    assert r.returncode != 0 and "HASH" in (r.stdout + r.stderr).upper()


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def _github_env(ws: Path, gh: FakeGitHub, event: str, payload: dict) -> dict:
    (ws / "event.json").write_text(json.dumps(payload), encoding="utf-8")
    (ws / "output.txt").write_text("")
    (ws / "summary.md").write_text("")
    return {
        "GITHUB_ACTIONS": "true", "GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(ws / "event.json"), "GITHUB_SHA": HEAD_SHA, "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_OUTPUT": str(ws / "output.txt"), "GITHUB_STEP_SUMMARY": str(ws / "summary.md"), "GITHUB_RUN_ID": "1",
        "DESK_BTC_INVITE_CODE": "INVQ7X2Z",
    }


def _run_step(installed, ws, gh, command: str, event: str, payload: dict, **inputs) -> subprocess.CompletedProcess:
    env = _github_env(ws, gh, event, payload)
    env.update({
        "COMMAND": command, "CONFIG_PATHS": inputs.get("path", "examples/"), "LEADERS": inputs.get("leader", ""),
        "SANDBOX": inputs.get("sandbox", "true"), "VERIFY_PLAN": inputs.get("verify_plan", "true"),
        "REFRESH_PR": inputs.get("refresh_pr", "false"), "GITHUB_TOKEN": TOKEN, "VENV": str(installed["venv"]), "NO_COLOR": "1",
    })
    return _bash(step("run")["run"], ws, env, timeout=120)


PR = {"pull_request": {"number": 7, "head": {"sha": HEAD_SHA, "repo": {"full_name": REPO}}, "base": {"repo": {"full_name": REPO}}}}


def test_run_step_plans_and_comments(installed, workspace, gh):
    r = _run_step(installed, workspace, gh, "plan", "pull_request", PR, leader="desk-btc  eth-desk")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (workspace / "output.txt").read_text() == "exitcode=0\n"
    (c,) = gh.comments[7]
    assert c["body"].startswith("<!-- leaderctl-plan path=examples/ plan_sha256=")
    assert "<code>desk-btc</code>" in c["body"] and "<code>eth-desk</code>" in c["body"] and "alt-public" not in c["body"]
    for text in (r.stdout, r.stderr, (workspace / "summary.md").read_text(), c["body"]):
        assert TOKEN not in text and "INVQ7X2Z" not in text


def test_run_step_drift_passes_with_the_drift_exit_code_as_output(installed, workspace, gh):
    r = _run_step(installed, workspace, gh, "drift", "schedule", {})
    assert r.returncode == 0, r.stdout + r.stderr  # drift found and reported: the check itself worked
    assert (workspace / "output.txt").read_text() == "exitcode=2\n"
    assert len(gh.open_issues()) == 1


def test_run_step_drift_with_refresh_pr_opens_the_pull_request(installed, workspace, gh):
    files = {p.relative_to(workspace).as_posix(): p.read_text() for p in (workspace / "examples").rglob("*.yaml")}
    gh.add_commit(HEAD_SHA, files)
    r = _run_step(installed, workspace, gh, "drift", "schedule", {}, refresh_pr="true")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (workspace / "output.txt").read_text() == "exitcode=2\n"
    (pr,) = gh.open_pulls()
    assert pr["body"].startswith("<!-- leaderctl-refresh path=examples/ -->") and pr["head"]["ref"] == "leaderctl/refresh/examples"
    assert f"#{pr['number']}" in gh.open_issues()[0]["body"]


def test_run_step_fails_on_a_refused_apply(installed, workspace, gh):
    r = _run_step(installed, workspace, gh, "apply", "push", {})
    assert r.returncode == 1 and "no pull request was merged" in r.stderr
    assert (workspace / "output.txt").read_text() == "exitcode=1\n"
    r = _run_step(installed, workspace, gh, "apply", "push", {}, verify_plan="false")
    assert r.returncode == 0, r.stdout + r.stderr


def test_run_step_rejects_an_unknown_command(installed, workspace, gh):
    r = _run_step(installed, workspace, gh, "destroy; rm -rf /", "push", {})
    assert r.returncode == 1 and "::error title=leaderctl::input command must be" in r.stdout
    assert gh.requests == []


def test_stale_step_needs_nothing_but_the_standard_library(installed, workspace, gh, tmp_path):
    assert _run_step(installed, workspace, gh, "plan", "pull_request", PR).returncode == 0
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    env = _github_env(workspace, gh, "pull_request", PR)
    env.update({"ACTION_PATH": str(installed["checkout"]), "PYTHON": str(bare / "bin" / "python"), "CONFIG_PATHS": "examples/",
                "GITHUB_TOKEN": TOKEN})
    r = _bash(step("Mark the plan comment stale (leaderctl could not be installed)")["run"], workspace, env)
    assert r.returncode == 0, r.stdout + r.stderr
    (c,) = gh.comments[7]
    assert c["body"].startswith("<!-- leaderctl-plan path=examples/ plan_sha256=none -->\n")
    assert "This plan is stale" in c["body"] and "installing leaderctl failed" in c["body"]
    assert TOKEN not in r.stdout + r.stderr
