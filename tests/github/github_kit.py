"""Run `leaderctl github ...` as the action does: a config checkout (examples/
copied to a temp dir), a real sandbox exchange on loopback with each leader's
credentials in the environment, the fake GitHub API, and the Actions variables.

Not a test module (no `test_` prefix).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from fake_github import REPO, TOKEN, FakeGitHub

from reconciler.cli import cli
from reconciler.config import load_desired
from reconciler.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INVITE_CODE = "INVQ7X2Z"  # examples/desk-btc.yaml reads it through code_env
FILE_INVITE_CODE = "ALTPRV26"  # written in examples/desks/alt-desks.yaml
HEAD_SHA = "a" * 40
MERGE_SHA = "b" * 40


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    outputs: dict
    summary: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Kit:
    root: Path
    sb: Sandbox
    gh: FakeGitHub
    credentials: dict = field(default_factory=dict)
    texts: list = field(default_factory=list)
    runs: int = 0

    # ------------------------------------------------------------ the run

    def event(self, name: str, payload: dict) -> Path:
        path = self.root / f"event-{self.runs}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def pr_event(self, number: int = 7, *, head_repo: str | None = REPO, head_sha: str = HEAD_SHA) -> dict:
        head = {"sha": head_sha, "repo": {"full_name": head_repo} if head_repo else None}
        return {"pull_request": {"number": number, "head": head, "base": {"repo": {"full_name": REPO}}}}

    def run(self, *args: str, event: str = "pull_request", payload: dict | None = None, sha: str = HEAD_SHA,
            credentials: bool = True, env: dict | None = None) -> Result:
        self.runs += 1
        summary = self.root / f"summary-{self.runs}.md"
        output = self.root / f"output-{self.runs}.txt"
        summary.touch()
        output.touch()
        full = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.gh.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(self.event(event, payload if payload is not None else (self.pr_event() if event == "pull_request" else {}))),
            "GITHUB_SHA": sha,
            "GITHUB_REF": "refs/pull/7/merge" if event == "pull_request" else "refs/heads/main",
            "GITHUB_TOKEN": TOKEN,
            "LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN": "true",  # as the action says for its default github-token
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_RUN_ID": "4242",
            "GITHUB_WORKSPACE": str(self.root),
            "LEADERCTL_ENDPOINT": self.sb.url,
            "DESK_BTC_INVITE_CODE": INVITE_CODE,
            "NO_COLOR": "1",
        }
        for name, value in self.credentials.items():
            full[name] = value if credentials else None
        full.update(env or {})
        r = CliRunner().invoke(cli, ["github", *args], env=full, catch_exceptions=False)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        res = Result(r.exit_code, r.stdout, r.stderr, outputs, summary.read_text(encoding="utf-8"))
        self.texts += [res.stdout, res.stderr, res.summary]
        return res

    # ------------------------------------------------------------ the config and the exchange

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def edit_live(self, leader: str, **fields) -> None:
        """Change the exchange behind leaderctl's back (someone in the web UI)."""
        self.sb.account_state(leader)["config"].update(fields)
        self.sb.save()

    def exchange_requests(self) -> list:
        return self.sb.requests

    def exchange_writes(self) -> list:
        return [r for r in self.sb.requests if r.method in ("PUT", "DELETE")]

    # ------------------------------------------------------------ what GitHub holds

    def comments(self, number: int = 7) -> list[dict]:
        return self.gh.comments.get(number, [])

    def all_texts(self) -> list[str]:
        """Everything leaderctl printed or sent to GitHub."""
        sent = [json.dumps(r.body) for r in self.gh.requests if r.body is not None]
        return self.texts + sent

    def assert_no_secrets(self) -> None:
        secrets = [TOKEN, INVITE_CODE, FILE_INVITE_CODE, *self.credentials.values()]
        for text in self.all_texts():
            for secret in secrets:
                assert secret not in text, f"a secret leaked into: {text[:300]!r}"


def make_kit(tmp_path: Path, sb: Sandbox, gh: FakeGitHub) -> Kit:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    kit = Kit(tmp_path, sb, gh)
    for spec in load_desired([str(tmp_path / "examples")]).leaders.values():
        acct = sb.ensure_account(spec.name)
        kit.credentials[spec.credentials.api_key_env] = acct.api_key
        kit.credentials[spec.credentials.api_secret_env] = acct.api_secret
    sb.clear_requests()
    return kit
