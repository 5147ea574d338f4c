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

MAX_EVENT = 32 * 1024 * 1024  # bytes of GITHUB_EVENT_PATH (GitHub's webhook payloads stop at 25 MB)


class EventError(UsageError):
    """The event payload (GITHUB_EVENT_PATH) is not what GitHub Actions writes: one located line."""


def _printable(text: str, limit: int = 200) -> str:
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in str(text)[:limit])
    return text


def _field(obj: dict, path: str, types: tuple, source: str, *, required: bool):
    """obj[last part of path], of one of `types` (bool never counts as int), or an EventError naming `path`."""
    from reconciler.github.api import kind

    key = path.rsplit(".", 1)[-1]
    if key not in obj or obj[key] is None:
        if required:
            raise EventError(f"GITHUB_EVENT_PATH ({source}): {path} is missing: {EVENT_HINT}")
        return None
    v = obj[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
        wanted = " or ".join("an object" if t is dict else "an integer" if t is int else "a string" for t in types)
        raise EventError(f"GITHUB_EVENT_PATH ({source}): {path} is {kind(v)}, not {wanted}: {EVENT_HINT}")
    return v


def _repo_name(repo: dict | None, path: str, source: str) -> str | None:
    """`full_name` of a repository object (None when the object is null): OWNER/REPO, else an EventError."""
    if repo is None:
        return None
    name = _field(repo, path, (str,), source, required=True)
    owner, _, rest = name.partition("/")
    if not owner or not rest or "/" in rest or not name.isprintable() or name.strip() != name:
        raise EventError(f"GITHUB_EVENT_PATH ({source}): {path} is not OWNER/REPO: {EVENT_HINT}")
    return name


EVENT_HINT = "is this the payload GitHub Actions wrote for the event? (leaderctl github runs inside GitHub Actions)"


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
    event_path: str | None = None

    @classmethod
    def from_environ(cls, environ=None) -> "ActionsEnv":
        env = os.environ if environ is None else environ
        event_path = env.get("GITHUB_EVENT_PATH") or ""
        event = read_event(event_path) if event_path else {}
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
            event_path=event_path or None,
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
        """The event's pull request; None when the event has none. Every field read is checked:
        a payload of another shape is an EventError naming the field, never a guess."""
        src = _printable(self.event_path or "the event payload")
        pr = _field(self.event, "pull_request", (dict,), src, required=False)
        if pr is None:
            return None
        number = _field(pr, "pull_request.number", (int,), src, required=True)
        if number < 1:
            raise EventError(f"GITHUB_EVENT_PATH ({src}): pull_request.number is {number}, not a pull request number: {EVENT_HINT}")
        head = _field(pr, "pull_request.head", (dict,), src, required=True)
        head_sha = _field(head, "pull_request.head.sha", (str,), src, required=True)
        head_repo = _field(head, "pull_request.head.repo", (dict,), src, required=False)  # null: the fork was deleted
        head_name = _repo_name(head_repo, "pull_request.head.repo.full_name", src)
        base = _field(pr, "pull_request.base", (dict,), src, required=True)
        base_repo = _field(base, "pull_request.base.repo", (dict,), src, required=False)
        base_name = _repo_name(base_repo, "pull_request.base.repo.full_name", src)
        return PullRequest(number=number, head_sha=head_sha, head_repo=head_name, base_repo=base_name if base_repo is not None else self.repository)

    def default_branch(self) -> str | None:
        """`repository.default_branch` of the event, when it says."""
        src = _printable(self.event_path or "the event payload")
        repo = _field(self.event, "repository", (dict,), src, required=False)
        return _field(repo, "repository.default_branch", (str,), src, required=False) if repo is not None else None

    def write_output(self, name: str, value: str) -> None:
        write_output(self.output, name, value)


def read_event(event_path: str) -> dict:
    """The event payload: a JSON object of at most MAX_EVENT bytes, else one EventError line."""
    from reconciler.github.api import kind

    src = _printable(event_path)
    try:
        with open(event_path, "rb") as fh:
            raw = fh.read(MAX_EVENT + 1)
    except OSError as e:
        raise EventError(f"GITHUB_EVENT_PATH: cannot read {src}: {e.strerror or e}") from None
    if len(raw) > MAX_EVENT:
        raise EventError(f"GITHUB_EVENT_PATH ({src}) is larger than {MAX_EVENT // (1024 * 1024)} MiB: {EVENT_HINT}")
    try:
        loaded = json.loads(raw)
    except RecursionError:
        raise EventError(f"GITHUB_EVENT_PATH ({src}): the JSON is nested too deeply: {EVENT_HINT}") from None
    except ValueError as e:  # UnicodeDecodeError included
        where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        raise EventError(f"GITHUB_EVENT_PATH ({src}) is not JSON{where}: {EVENT_HINT}") from None
    if not isinstance(loaded, dict):
        raise EventError(f"GITHUB_EVENT_PATH ({src}) holds {kind(loaded)}, not an object: {EVENT_HINT}")
    return loaded


def write_output(path: str | None, name: str, value: str) -> None:
    """`name=value` appended to $GITHUB_OUTPUT (a step output of the action); no file, no output."""
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name}={value}\n")
    except OSError as e:
        print(f"warning: cannot write GITHUB_OUTPUT: {e.strerror or e}", file=sys.stderr, flush=True)
