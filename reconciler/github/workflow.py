"""`leaderctl init github`: the one workflow a config repository needs.

Three jobs in one file: `plan` on every pull request (no `paths:` filter, so a
required `plan` check never waits forever), `apply` on a push to the default
branch in the `production` environment (a concurrency group that never
cancels a running apply), `drift` every 6 hours and by hand (`--refresh-pr`: it also
proposes the exchange's values as a pull request, and only that job gets
`contents: write` and `pull-requests: write`). Permissions per
job (`permissions: {}` at the top), every `uses:` pinned to a full commit SHA
with its version in a comment, and an `env:` line for every variable the config
reads, mapped from the secret of the same name.

The leaderctl action's own commit cannot be written into this release (a commit
cannot contain its own SHA), so `init` looks up the commit of the tag
ACTION_VERSION through GitHub's REST API, or takes it from `--action-ref SHA`.
When GitHub cannot be reached, it pins the commit of the git checkout this leaderctl
runs from (an editable install) only when that commit carries the release tag;
otherwise it stops and prints the one command that finds the commit (a checkout's
commit may exist nowhere else). The pin's comment is always the plain tag, which
Dependabot and Renovate read.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from reconciler import __version__
from reconciler.errors import UsageError

ACTION_REPO = "leaderctl/leaderctl"  # owner/name of this repository on GitHub: change it in a fork
ACTION_VERSION = f"v{__version__}"  # the release tag the generated workflow pins: this package's version
# Third-party actions, each pinned to the commit of its release tag (read with
# `git rev-parse vX.Y.Z^{commit}` in a clone of the action's repository).
CHECKOUT = ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")
READ_ENVIRONMENT = "leaderctl-read"  # plan and drift: read-only keys
WRITE_ENVIRONMENT = "production"  # apply: write keys, required reviewers
CRON = "17 */6 * * *"

_SHA = re.compile(r"^[0-9a-f]{40}$")
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _scalar(text: str) -> str:
    """A YAML scalar: plain when safe, else JSON-quoted (valid YAML)."""
    return text if re.fullmatch(r"[A-Za-z0-9_./-]+", text) else json.dumps(text)


def check_path(path: str) -> str:
    """The config path as `--path` may give it: relative, printable, no `${{`.

    It is written into the workflow twice (a comment line and `with: path:`): a newline
    would end the comment and add YAML of its own, `${{ ... }}` would be evaluated by
    Actions."""
    text = str(path)
    why = None
    if not text:
        why = "it is empty"
    elif not text.isprintable():
        why = "it holds a control character or a line break"
    elif "${{" in text:
        why = "it holds `${{`, which GitHub Actions would evaluate as an expression"
    elif text.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", text):
        why = "it is not relative to the repository's root"
    elif ".." in re.split(r"[/\\]", text):
        why = "it leaves the repository (..)"
    if why:
        raise UsageError(
            f"--path must be a path relative to the repository's root, of printable characters without `${{{{`: "
            f"{why} (got {text[:120]!r})"
        )
    return text


def _check_names(variables: list[str]) -> None:
    bad = [v for v in variables if not _SECRET_NAME.match(v) or v.upper().startswith("GITHUB_")]
    if bad:
        raise UsageError(
            f"cannot map {', '.join(bad)} from GitHub secrets: secret names are letters, digits and _ "
            "and do not start with GITHUB_: rename the variable in the config's credentials/code_env"
        )


def _job(name: str, condition: str, environment: str, permission: tuple[str, str], concurrency: str, command: str,
         path: str, variables: list[str], action_sha: str, action_label: str, *, refresh_pr: bool = False) -> list[str]:
    contents = "      contents: write # the refresh pull request's branch and commit" if refresh_pr else "      contents: read"
    extra = ["      pull-requests: write # the refresh pull request"] if refresh_pr else []
    lines = [
        f"  {name}:",
        f"    name: {name}",
        f"    if: {condition}",
        "    runs-on: ubuntu-latest",
        f"    environment: {environment}",
        "    permissions:",
        contents,
        f"      {permission[0]} # {permission[1]}",
        *extra,
        f"    concurrency: {concurrency}",
        "    steps:",
        f"      - uses: {CHECKOUT[0]}@{CHECKOUT[1]} # {CHECKOUT[2]}",
        "        with: {persist-credentials: false}",
        f"      - uses: {ACTION_REPO}@{action_sha} # {action_label}",
        f"        with: {{command: {command}, path: {_scalar(path)}{', refresh-pr: true' if refresh_pr else ''}}}",
    ]
    if variables:
        lines.append("        env:")
        lines += [f"          {v}: ${{{{ secrets.{v} }}}}" for v in variables]
    return lines


def render(config_path: str, variables: list[str], *, branch: str = "main", action_sha: str, action_label: str = ACTION_VERSION,
           refresh_pr: bool = False) -> str:
    if not _SHA.match(action_sha):
        raise UsageError(f"--action-ref must be a full 40-character commit SHA, got {action_sha!r}")
    check_path(config_path)
    _check_names(variables)
    read_env = f"{{name: {READ_ENVIRONMENT}, deployment: false}}"
    lines = [
        "# leaderctl: plan every pull request, apply what was reviewed, watch for drift.",
        f"# Written by `leaderctl init github --path {config_path}`; after adding a leader, run",
        "# `leaderctl init github --check .github/workflows/leaderctl.yml` (or init again).",
        "name: leaderctl",
        "",
        "on:",
        "  pull_request:",
        "  push:",
        f"    branches: [{_scalar(branch)}]",
        "  schedule:",
        f'    - cron: "{CRON}"',
        "  workflow_dispatch:",
        "",
        "permissions: {}",
        "",
        "jobs:",
    ]
    lines += _job("plan", "github.event_name == 'pull_request'", read_env, ("pull-requests: write", "the plan comment"),
                  '{group: "leaderctl-plan-${{ github.event.pull_request.number }}", cancel-in-progress: true}',
                  "plan", config_path, variables, action_sha, action_label)
    lines += _job("apply", "github.event_name == 'push'", WRITE_ENVIRONMENT, ("pull-requests: read", "the merged pull request's plan comment"),
                  "{group: leaderctl-apply, cancel-in-progress: false}", "apply", config_path, variables, action_sha, action_label)
    lines += _job("drift", "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'", read_env,
                  ("issues: write", "the drift issue and its label"), "{group: leaderctl-drift, cancel-in-progress: false}",
                  "drift", config_path, variables, action_sha, action_label, refresh_pr=refresh_pr)
    return "\n".join(lines) + "\n"


def resolve_action_ref(ref: str | None, warn=None) -> tuple[str, str]:
    """(the commit SHA to pin, its label for the comment): `ref` itself when it is a SHA,
    else the commit its tag points at (for the default tag without GitHub: this checkout's)."""
    import os

    from reconciler.github.api import GitHubApi, GitHubError

    tag = (ref or ACTION_VERSION).strip()
    if _SHA.match(tag.lower()):
        return tag.lower(), ACTION_VERSION
    try:
        api = GitHubApi(os.environ.get("GITHUB_API_URL") or "https://api.github.com", os.environ.get("GITHUB_TOKEN"), timeout=10)
        data = api.get(f"/repos/{ACTION_REPO}/commits/{tag}", what=f"looking up the commit of {ACTION_REPO}@{tag}").data
        sha = str((data or {}).get("sha") or "") if isinstance(data, dict) else ""
    except GitHubError as e:
        local = _checkout_commit() if ref is None and e.status is None else None
        if local is not None and ACTION_VERSION in _tags_at(local):
            if warn is not None:
                warn(f"warning: {e}: pinned the leaderctl action to this checkout's commit {local[:12]}, tagged {ACTION_VERSION}")
            return local, ACTION_VERSION
        raise UsageError(
            f"cannot pin {ACTION_REPO}@{tag} to a commit ({e}): find its commit with `{lookup_command(tag)}` "
            "(the SHA on the last line) and run init again with --action-ref SHA"
        ) from None
    if not _SHA.match(sha):
        raise UsageError(f"GitHub did not answer a commit SHA for {ACTION_REPO}@{tag}: pass --action-ref SHA")
    return sha, tag


def lookup_command(tag: str) -> str:
    """The command that prints the commit of a release tag (the last line: `TAG^{}` for an annotated tag)."""
    return f"git ls-remote https://github.com/{ACTION_REPO} 'refs/tags/{tag}' 'refs/tags/{tag}^{{}}'"


def _tags_at(sha: str) -> list[str]:
    """The tags of the leaderctl checkout that point at `sha` (none when git cannot tell)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(["git", "-C", str(root), "tag", "--points-at", sha], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return done.stdout.split() if done.returncode == 0 else []


def _checkout_commit() -> str | None:
    """HEAD of the leaderctl repository this code runs from (an editable install), if any."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    if not (root / "action.yml").is_file():
        return None
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and _SHA.match(sha) else None


def write(output: str, text: str) -> None:
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{output}: cannot write: {e.strerror or e}") from None


def _leaderctl_step(step: dict) -> bool:
    uses = str(step.get("uses") or "")
    run = str(step.get("run") or "")
    return uses.startswith(ACTION_REPO + "@") or uses == "./" or "leaderctl github" in run


def check(workflow_file: str, variables: list[str]) -> list[tuple[str, str]]:
    """(job, variable) for each variable the config reads that a leaderctl step of the workflow does not get."""
    import yaml

    try:
        doc = yaml.safe_load(Path(workflow_file).read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{workflow_file}: cannot read: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"{workflow_file}: not YAML: {str(e).splitlines()[0]}") from None
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(jobs, dict):
        raise UsageError(f"{workflow_file}: no jobs: is it a GitHub Actions workflow?")
    top = _env_keys(doc)
    missing: list[tuple[str, str]] = []
    found = False
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        for step in job.get("steps") or []:
            if not isinstance(step, dict) or not _leaderctl_step(step):
                continue
            found = True
            have = top | _env_keys(job) | _env_keys(step)
            missing += [(str(job_id), v) for v in variables if v not in have and (str(job_id), v) not in missing]
    if not found:
        raise UsageError(f"{workflow_file}: no step uses the leaderctl action ({ACTION_REPO}@...)")
    return missing


def _env_keys(node: dict) -> set[str]:
    env = node.get("env")
    return {str(k) for k in env} if isinstance(env, dict) else set()
