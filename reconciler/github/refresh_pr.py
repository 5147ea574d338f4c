"""The refresh pull request of `leaderctl github drift --refresh-pr` (docs/contract.md §11).

On drift, the files `leaderctl refresh` would write are committed to the branch
`leaderctl/refresh/<path>` through GitHub's git data API (a blob per file, a tree on
the base commit's tree, a commit whose parent is the base commit, the branch's ref
created or moved): no git binary, no token in a remote URL. One pull request per
config path holds it, found by the first line of its body,
`<!-- leaderctl-refresh path=PATH -->`, and by its author: only a pull request the
job's own token opened (`identity`) is ever updated or closed. A branch whose last
commit is not one of these (someone pushed to it), or that another pull request
uses, is left alone and said so. Back in sync, the pull request is closed.

Standard library only, like the rest of `leaderctl github`'s GitHub side.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from reconciler.github import comment
from reconciler.github.api import GitHubError, item, value

COMMIT_TITLE = "leaderctl refresh: accept the exchange's values"
_MARKER = re.compile(r"^<!-- leaderctl-refresh path=(\S+) -->$")


class RefreshPrError(GitHubError):
    """The refresh pull request cannot be made or updated safely: nothing was pushed."""


@dataclass
class Outcome:
    action: str  # opened | updated | unchanged | closed | none
    number: int | None = None
    url: str | None = None


def marker(key: str) -> str:
    return f"<!-- leaderctl-refresh path={key} -->"


def parse(body: str | None) -> str | None:
    """The path key of a refresh pull request's body, or None."""
    m = _MARKER.match((body or "").replace("\r\n", "\n").split("\n", 1)[0].strip())
    return m.group(1) if m else None


def branch_for(key: str) -> str:
    """`leaderctl/refresh/<path>` as a valid git branch name (each part cleaned of what git refuses)."""
    text = urllib.parse.unquote(key)
    parts = []
    for part in re.split(r"[/,]+", text):
        part = re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip(".-")
        part = re.sub(r"\.\.+", ".", part)
        if part.endswith(".lock"):
            part = part[: -len(".lock")] + "-lock"
        if part:
            parts.append(part)
    return "leaderctl/refresh/" + ("/".join(parts) or "config")


def commit_message(key: str) -> str:
    return f"{COMMIT_TITLE} ({urllib.parse.unquote(key)})"


# --- reading ----------------------------------------------------------------------------------


def _pulls(api, repo: str, branch: str) -> list[dict]:
    """The open pull requests whose head is `branch` of this repository, shape-checked."""
    owner = repo.split("/", 1)[0]
    what = f"listing the open pull requests of branch {branch}"
    pulls = api.paginate(f"/repos/{repo}/pulls", params={"state": "open", "head": f"{owner}:{branch}"}, what=what,
                         needs="pull-requests: read")
    where = f"GET /repos/{repo}/pulls"
    comment.checked(pulls, what, where, "number")
    return [p for p in pulls if isinstance(p.get("head"), dict) and p["head"].get("ref") == branch]


def _own(pulls: list[dict], key: str, me) -> tuple[dict | None, list[dict]]:
    """(this path's pull request the token opened, the others on the branch)."""
    own = [p for p in pulls if parse(p.get("body")) == key and me.wrote(p)]
    return (own[0] if own else None), [p for p in pulls if not own or p is not own[0]]


def _branch_head(api, repo: str, branch: str) -> str | None:
    what = f"reading branch {branch}"
    try:
        r = api.get(f"/repos/{repo}/git/ref/heads/{urllib.parse.quote(branch)}", what=what, needs="contents: read")
    except GitHubError as e:
        if e.status == 404:
            return None
        raise
    ref = item(r.data, "", what=what, where=r.where)
    obj = item(ref.get("object"), "object", what=what, where=r.where)
    return value(obj, "sha", (str,), "object", what=what, where=r.where)


def _commit(api, repo: str, sha: str) -> tuple[str, str, list[str]]:
    """(tree sha, message, parent shas) of a commit."""
    what = f"reading commit {sha[:12]}"
    r = api.get(f"/repos/{repo}/git/commits/{sha}", what=what, needs="contents: read")
    data = item(r.data, "", what=what, where=r.where)
    tree = item(data.get("tree"), "tree", what=what, where=r.where)
    parents = data.get("parents") if isinstance(data.get("parents"), list) else []
    shas = [p["sha"] for p in parents if isinstance(p, dict) and isinstance(p.get("sha"), str)]
    message = data.get("message") if isinstance(data.get("message"), str) else ""
    return value(tree, "sha", (str,), "tree", what=what, where=r.where), message, shas


def _sha(r, what: str) -> str:
    return value(item(r.data, "", what=what, where=r.where), "sha", (str,), "", what=what, where=r.where)


# --- writing ----------------------------------------------------------------------------------


def _tree(api, repo: str, base_tree: str, files: list[tuple[str, str]]) -> str:
    entries = []
    for path, text in files:
        what = f"uploading {path}"
        r = api.post(f"/repos/{repo}/git/blobs", {"content": text, "encoding": "utf-8"}, what=what, needs="contents: write")
        entries.append({"path": path, "mode": "100644", "type": "blob", "sha": _sha(r, what)})
    what = "writing the refreshed tree"
    r = api.post(f"/repos/{repo}/git/trees", {"base_tree": base_tree, "tree": entries}, what=what, needs="contents: write")
    return _sha(r, what)


def propose(api, repo: str, key: str, *, base_branch: str, base_sha: str, files: list[tuple[str, str]], title: str,
            body: str, me) -> Outcome:
    """Commit `files` (repository path, text) on `base_sha` to this path's branch, and open or
    update its pull request against `base_branch`."""
    branch = branch_for(key)
    own, others = _own(_pulls(api, repo, branch), key, me)
    if others:
        numbers = ", ".join(f"#{p['number']}" for p in others)
        raise RefreshPrError(f"branch {branch} is the head of pull request {numbers}, which leaderctl did not open: "
                             "it is left alone; close that pull request or delete the branch to get a refresh pull request")
    changed = _commit_files(api, repo, key, branch, base_sha, files)
    if own is None:
        return _open(api, repo, branch, base_branch, title, body, me)
    number = own["number"]
    if own.get("body") == body and own.get("title") == title and not changed:
        return Outcome("unchanged", number, own.get("html_url"))
    api.patch(f"/repos/{repo}/pulls/{number}", {"title": title, "body": body}, what=f"updating pull request #{number}",
              needs="pull-requests: write")
    return Outcome("updated", number, own.get("html_url"))


def _commit_files(api, repo: str, key: str, branch: str, base_sha: str, files: list[tuple[str, str]]) -> bool:
    """Point `branch` at one commit of `files` on `base_sha` (only leaderctl's own commit is
    ever replaced); whether the branch moved."""
    head = _branch_head(api, repo, branch)
    head_commit = _commit(api, repo, head) if head else None
    if head_commit is not None and head_commit[1].split("\n", 1)[0] != commit_message(key):
        raise RefreshPrError(f"branch {branch} has a commit leaderctl did not make (its last one): it is left alone; "
                             "delete the branch (or reset it) to let leaderctl propose the refresh again")
    base_tree, _, _ = _commit(api, repo, base_sha)
    tree = _tree(api, repo, base_tree, files)
    if head_commit is not None and head_commit[0] == tree and head_commit[2] == [base_sha]:
        return False
    what = "committing the refreshed files"
    r = api.post(f"/repos/{repo}/git/commits", {"message": commit_message(key), "tree": tree, "parents": [base_sha]},
                 what=what, needs="contents: write")
    sha = _sha(r, what)
    if head is None:
        api.post(f"/repos/{repo}/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha}, what=f"creating branch {branch}",
                 needs="contents: write")
    else:
        api.patch(f"/repos/{repo}/git/refs/heads/{urllib.parse.quote(branch)}", {"sha": sha, "force": True},
                  what=f"moving branch {branch}", needs="contents: write")
    return True


def _open(api, repo: str, branch: str, base_branch: str, title: str, body: str, me) -> Outcome:
    what = "opening the refresh pull request"
    r = api.post(f"/repos/{repo}/pulls", {"title": title, "head": branch, "base": base_branch, "body": body}, what=what,
                 needs="pull-requests: write")
    pr = item(r.data, "", what=what, where=r.where)
    me.check_author(pr, what)
    return Outcome("opened", value(pr, "number", (int,), "", what=what, where=r.where), pr.get("html_url"))


def close(api, repo: str, key: str, run_url: str | None, me, why: str = "Back in sync") -> Outcome:
    """Close this path's refresh pull request (the token's own), with a comment saying why."""
    own, _ = _own(_pulls(api, repo, branch_for(key)), key, me)
    if own is None:
        return Outcome("none")
    number = own["number"]
    check = f"[check]({run_url})" if run_url else "check"
    api.post(f"/repos/{repo}/issues/{number}/comments", {"body": f"{why} ({check}): closing."},
             what=f"commenting on pull request #{number}", needs="pull-requests: write")
    api.patch(f"/repos/{repo}/pulls/{number}", {"state": "closed"}, what=f"closing pull request #{number}",
              needs="pull-requests: write")
    return Outcome("closed", number)
