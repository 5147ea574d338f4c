"""`leaderctl init github`: the one workflow a config repository needs, and `--check`."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lint_kit import PERSONAS, actionlint, zizmor

from reconciler.cli import cli
from reconciler.config import load_desired
from reconciler.github import workflow

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A config repository: examples/ as leaders/."""
    shutil.copytree(ROOT / "examples", tmp_path / "leaders")
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_API_URL", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def init(*args, env=None):
    r = CliRunner().invoke(cli, ["init", "github", *args], env=env, catch_exceptions=False)
    return r


def needed(path) -> list[str]:
    names = []
    for spec in load_desired([str(path)]).leaders.values():
        names += [spec.credentials.api_key_env, spec.credentials.api_secret_env]
        if spec.invite_code_env:
            names.append(spec.invite_code_env)
    return names


def load(text: str) -> dict:
    doc = yaml.safe_load(text)
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def test_the_workflow(repo):
    r = init("--action-ref", SHA)
    assert r.exit_code == 0, r.output
    doc = load(r.stdout)
    assert doc["on"] == {"pull_request": None, "push": {"branches": ["main"]}, "schedule": [{"cron": "17 */6 * * *"}],
                         "workflow_dispatch": None}  # no paths filter anywhere
    assert doc["permissions"] == {}
    jobs = doc["jobs"]
    assert list(jobs) == ["plan", "apply", "drift"]
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["apply"]["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert jobs["drift"]["permissions"] == {"contents": "read", "issues": "write"}
    assert jobs["apply"]["environment"] == "production"
    assert jobs["apply"]["concurrency"] == {"group": "leaderctl-apply", "cancel-in-progress": False}
    assert jobs["apply"]["if"] == "github.event_name == 'push'"
    assert jobs["plan"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["plan"]["environment"] == {"name": "leaderctl-read", "deployment": False}
    for job_id, job in jobs.items():
        checkout, lctl = job["steps"]
        assert checkout["with"] == {"persist-credentials": False}
        assert lctl["uses"] == f"leaderctl/leaderctl@{SHA}"
        assert lctl["with"] == {"command": job_id, "path": "leaders/"}
        names = needed(repo / "leaders")
        assert list(lctl["env"]) == list(dict.fromkeys(names))
        assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in lctl["env"].items())
    assert "DESK_BTC_INVITE_CODE" in needed(repo / "leaders") and "LEADERCTL_ETH_DESK_API_SECRET" in needed(repo / "leaders")
    for line in r.stdout.splitlines():
        if "uses:" in line:
            assert re.search(r"uses: [\w-]+/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    assert f"# {workflow.ACTION_VERSION}" in r.stdout


def test_actionlint_and_zizmor_find_nothing_in_it(repo):
    out = repo / ".github" / "workflows" / "leaderctl.yml"
    r = init("--action-ref", SHA, "-o", str(out))
    assert r.exit_code == 0 and "wrote" in r.stderr
    assert actionlint([out], repo) == []
    for persona in PERSONAS:
        assert zizmor([repo / ".github"], repo, persona) == [], persona


def test_other_path_and_branch(repo):
    (repo / "leaders").rename(repo / "config dir")
    r = init("--path", "config dir", "--branch", "release", "--action-ref", SHA)
    assert r.exit_code == 0, r.output
    doc = load(r.stdout)
    assert doc["on"]["push"] == {"branches": ["release"]}
    assert doc["jobs"]["plan"]["steps"][1]["with"]["path"] == "config dir"


def test_the_tag_is_looked_up_on_github(repo, gh):
    gh.refs["v0.2.0"] = "f" * 40
    gh.repo = "leaderctl/leaderctl"
    r = init(env={"GITHUB_API_URL": gh.url, "GITHUB_TOKEN": gh.token})
    assert r.exit_code == 0, r.output
    assert f"uses: leaderctl/leaderctl@{'f' * 40} # v0.2.0" in r.stdout
    assert [q.path for q in gh.requests] == ["/repos/leaderctl/leaderctl/commits/v0.2.0"]

    r = init("--action-ref", "v9.9.9", env={"GITHUB_API_URL": gh.url, "GITHUB_TOKEN": gh.token})
    assert r.exit_code == 1
    assert "cannot pin leaderctl/leaderctl@v9.9.9 to a commit" in r.stderr and "--action-ref" in r.stderr
    assert r.stdout == ""  # never an unpinned workflow


def test_check_names_each_unmapped_variable(repo):
    out = repo / "wf.yml"
    assert init("--action-ref", SHA, "-o", str(out)).exit_code == 0
    r = init("--check", str(out))
    assert r.exit_code == 0 and "every variable the config reads is mapped (15)" in r.stdout

    text = out.read_text()
    text = text.replace("          DESK_BTC_INVITE_CODE: ${{ secrets.DESK_BTC_INVITE_CODE }}\n", "", 1)  # from the plan job
    text = text.replace("LEADERCTL_ETH_DESK_API_SECRET: ${{ secrets.LEADERCTL_ETH_DESK_API_SECRET }}", "OTHER: x")
    out.write_text(text)
    r = init("--check", str(out))
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert f"{out}: job plan: DESK_BTC_INVITE_CODE is not mapped" in lines[0]
    assert sum("LEADERCTL_ETH_DESK_API_SECRET is not mapped" in line for line in lines) == 3
    assert len(lines) == 4

    # a new leader in the config: its variables are missing everywhere
    (repo / "leaders" / "new.yaml").write_text(
        (repo / "leaders" / "desks" / "eth-desk.yaml").read_text().replace("eth-desk:", "sol-desk:")
    )
    out.write_text(init("--action-ref", SHA).stdout.replace("LEADERCTL_SOL_DESK_API_KEY", "SOMETHING_ELSE"))
    r = init("--check", str(out))
    assert r.exit_code == 1 and r.stderr.count("LEADERCTL_SOL_DESK_API_KEY is not mapped") == 3


def test_check_refuses_what_is_not_a_leaderctl_workflow(repo):
    (repo / "x.yml").write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n")
    r = init("--check", "x.yml")
    assert r.exit_code == 1 and "no step uses the leaderctl action" in r.stderr
    r = init("--check", "missing.yml")
    assert r.exit_code == 1 and "cannot read" in r.stderr


def test_usage_errors_are_one_line(repo):
    r = init("--action-ref", "abc123")
    assert r.exit_code == 1 and "Error:" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = init("--path", "nowhere/", "--action-ref", SHA)
    assert r.exit_code == 1 and "nowhere" in r.stderr
    (repo / "leaders" / "desk-btc.yaml").write_text(
        (repo / "leaders" / "desk-btc.yaml").read_text().replace("DESK_BTC_API_KEY", "GITHUB_DESK_KEY")
    )
    r = init("--action-ref", SHA)
    assert r.exit_code == 1 and "GITHUB_DESK_KEY" in r.stderr and "GITHUB_" in r.stderr


def test_without_github_an_untagged_checkout_is_not_pinned(repo, monkeypatch):
    """Offline, from a git checkout of leaderctl whose commit carries no release tag: that
    commit may exist nowhere else, so nothing is written and the lookup command is shown."""
    monkeypatch.setattr(workflow, "_tags_at", lambda sha: ["v0.1.9"])
    r = init(env={"GITHUB_API_URL": "https://127.0.0.1:9", "GITHUB_TOKEN": ""})
    assert r.exit_code == 1 and r.stdout == ""
    assert "cannot reach GitHub" in r.stderr and "--action-ref" in r.stderr
    assert "git ls-remote https://github.com/leaderctl/leaderctl 'refs/tags/v0.2.0' 'refs/tags/v0.2.0^{}'" in r.stderr


def test_without_github_a_checkout_on_the_release_tag_is_pinned_with_a_plain_tag(repo, monkeypatch):
    import subprocess

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    seen = []
    monkeypatch.setattr(workflow, "_tags_at", lambda sha: seen.append(sha) or ["v0.2.0"])
    r = init(env={"GITHUB_API_URL": "https://127.0.0.1:9", "GITHUB_TOKEN": ""})
    assert r.exit_code == 0, r.output
    assert seen == [head]
    assert f"uses: leaderctl/leaderctl@{head} # v0.2.0\n" in r.stdout  # the comment is the tag alone
    assert "cannot reach GitHub" in r.stderr and "tagged v0.2.0" in r.stderr
    # a tag that was asked for is never replaced by something else
    r = init("--action-ref", "v0.2.0", env={"GITHUB_API_URL": "https://127.0.0.1:9", "GITHUB_TOKEN": ""})
    assert r.exit_code == 1 and r.stdout == ""


def test_refresh_pr_gives_the_drift_job_alone_write_access_and_linters_find_nothing(repo):
    out = repo / ".github" / "workflows" / "leaderctl.yml"
    r = init("--action-ref", SHA, "--refresh-pr", "-o", str(out))
    assert r.exit_code == 0, r.output
    jobs = load(out.read_text())["jobs"]
    assert jobs["drift"]["permissions"] == {"contents": "write", "issues": "write", "pull-requests": "write"}
    assert jobs["drift"]["steps"][1]["with"] == {"command": "drift", "path": "leaders/", "refresh-pr": True}
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["apply"]["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert "refresh-pr" not in jobs["plan"]["steps"][1]["with"] and "refresh-pr" not in jobs["apply"]["steps"][1]["with"]
    without = init("--action-ref", SHA).stdout
    assert "contents: write" not in without and "refresh-pr" not in without
    assert actionlint([out], repo) == []
    for persona in PERSONAS:
        assert zizmor([repo / ".github"], repo, persona) == [], persona
