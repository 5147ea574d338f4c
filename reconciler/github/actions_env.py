"""The run's context, from the standard GitHub Actions environment variables.

Standard library only (see `stale`). The token is kept out of repr and out of
every message.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field

from reconciler.errors import UsageError


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    head_repo: str | None  # None when the fork was deleted
    base_repo: str

    @property
    def from_fork(self) -> bool:
        return self.head_repo is None or self.head_repo.lower() != self.base_repo.lower()


@dataclass(frozen=True)
class ActionsEnv:
    api_url: str
    server_url: str
    repository: str
    event_name: str
    event: dict
    sha: str
    ref: str
    token: str = field(repr=False)
    step_summary: str | None = None
    output: str | None = None
    run_id: str | None = None

    @classmethod
    def from_environ(cls, environ=None) -> "ActionsEnv":
        env = os.environ if environ is None else environ
        event_path = env.get("GITHUB_EVENT_PATH") or ""
        event: dict = {}
        if event_path:
            try:
                with open(event_path, encoding="utf-8") as fh:
                    loaded = json.load(fh)
                event = loaded if isinstance(loaded, dict) else {}
            except OSError as e:
                raise UsageError(f"GITHUB_EVENT_PATH: cannot read {event_path}: {e.strerror or e}") from None
            except ValueError:
                raise UsageError(f"GITHUB_EVENT_PATH: {event_path} is not JSON") from None
        return cls(
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            repository=env.get("GITHUB_REPOSITORY") or "",
            event_name=env.get("GITHUB_EVENT_NAME") or "",
            event=event,
            sha=env.get("GITHUB_SHA") or "",
            ref=env.get("GITHUB_REF") or "",
            token=env.get("GITHUB_TOKEN") or "",
            step_summary=env.get("GITHUB_STEP_SUMMARY") or None,
            output=env.get("GITHUB_OUTPUT") or None,
            run_id=env.get("GITHUB_RUN_ID") or None,
        )

    def require(self, *names: str) -> None:
        """One error naming every missing variable (the action sets them all; a bare shell does not)."""
        values = {
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_SHA": self.sha,
            "GITHUB_TOKEN": self.token,
        }
        missing = [n for n in names if not values.get(n)]
        if missing:
            raise UsageError(
                f"{', '.join(missing)} not set: `leaderctl github` runs inside GitHub Actions "
                "(the action sets GITHUB_TOKEN from its github-token input)"
            )
        if "GITHUB_REPOSITORY" in names and self.repository.count("/") != 1:
            raise UsageError(f"GITHUB_REPOSITORY must be OWNER/REPO, got {self.repository!r}")

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def pull_request(self) -> PullRequest | None:
        pr = self.event.get("pull_request")
        if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
            return None
        head, base = pr.get("head") or {}, pr.get("base") or {}
        head_repo = (head.get("repo") or {}).get("full_name") if isinstance(head.get("repo"), dict) else None
        base_repo = (base.get("repo") or {}).get("full_name") if isinstance(base.get("repo"), dict) else None
        return PullRequest(
            number=pr["number"],
            head_sha=str(head.get("sha") or ""),
            head_repo=head_repo,
            base_repo=base_repo or self.repository,
        )

    def write_output(self, name: str, value: str) -> None:
        write_output(self.output, name, value)


def write_output(path: str | None, name: str, value: str) -> None:
    """`name=value` appended to $GITHUB_OUTPUT (a step output of the action); no file, no output."""
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name}={value}\n")
    except OSError as e:
        print(f"warning: cannot write GITHUB_OUTPUT: {e.strerror or e}", file=sys.stderr, flush=True)
