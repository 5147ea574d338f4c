"""A local fake of the slice of GitHub's REST API that leaderctl uses.

Standard library `http.server` on 127.0.0.1, port 0, one thread per request.
It records every request, keeps issues, comments, labels, the pull requests
of commits, pull requests and the git data (blobs, trees, commits, branches) in memory, paginates lists (`per_page`, `page`, a `Link` header like
GitHub's), checks the bearer token, and can be told to fail: `fail(method,
path_regex, status, times)` answers the next `times` matching requests with
`status` (5XX, 401, 403, 404, ...).

Who wrote what, as on GitHub: every token acts as one user (`tokens`); what it
creates is by that user; `GET /user` answers a user's token (`add_token(...,
user_token=True)`, a personal access token) with its login and an installation
token (the job's GITHUB_TOKEN) with 403. Editing any comment is allowed (a token
with write access may edit others' comments on GitHub): the tests check that
leaderctl never asks. `answer(method, path_regex, raw=..., trickle=...)` sends raw
bytes instead of the real answer (malformed, huge, or a byte at a time).

Not a test module (no `test_` prefix).
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = "acme/leaders"
TOKEN = "ghs_FAKEtoken0123456789abcdefSECRET"
BOT = {"login": "github-actions[bot]", "type": "Bot"}


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: object
    headers: dict


@dataclass
class Fault:
    method: str
    path: re.Pattern
    status: int
    times: int
    body: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


@dataclass
class Raw:
    method: str
    path: re.Pattern
    times: int | None  # None: every time
    make: object  # (query) -> (status, body bytes, headers)
    trickle: float = 0.0  # seconds between bytes (0: all at once)


class FakeGitHub:
    def __init__(self, repo: str = REPO, token: str = TOKEN):
        self.repo = repo
        self.token = token
        self.requests: list[Request] = []
        self.comments: dict[int, list[dict]] = {}
        self.issues: dict[int, dict] = {}
        self.labels: set[str] = set()
        self.commit_pulls: dict[str, list[dict]] = {}
        self.refs: dict[str, str] = {}  # ref -> sha for GET /repos/{repo}/commits/{ref}
        # git data: blobs (sha -> text), trees (sha -> {path: blob sha}), commits (sha -> {tree, message, parents}),
        # branches (name -> commit sha); pull requests (number -> pull) share the issues' numbers, as on GitHub
        self.blobs: dict[str, str] = {}
        self.trees: dict[str, dict[str, str]] = {}
        self.commits: dict[str, dict] = {}
        self.branches: dict[str, str] = {}
        self.pulls: dict[int, dict] = {}
        self.faults: list[Fault] = []
        self.raws: list[Raw] = []
        self.tokens: dict[str, dict] = {token: BOT}  # token -> the user it acts as
        self.user_tokens: set[str] = set()  # tokens GET /user answers (a person's), not 403
        self._next_id = 1000
        self._next_issue = 1
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                fake._handle(self, "GET")

            def do_POST(self):  # noqa: N802
                fake._handle(self, "POST")

            def do_PATCH(self):  # noqa: N802
                fake._handle(self, "PATCH")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FakeGitHub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------ test helpers

    def fail(self, method: str, path: str, status: int, times: int = 1, body: dict | None = None, headers: dict | None = None) -> None:
        self.faults.append(Fault(method, re.compile(path), status, times, body or {"message": f"fake {status}"}, headers or {}))

    def add_token(self, token: str, user: dict, *, user_token: bool = True) -> None:
        self.tokens[token] = user
        if user_token:
            self.user_tokens.add(token)

    def answer(self, method: str, path: str, raw: bytes | None = None, *, status: int = 200, headers: dict | None = None,
               times: int | None = None, trickle: float = 0.0, make=None) -> None:
        """Answer matching requests with `raw` bytes (or `make(query)` -> (status, bytes, headers))."""
        fixed = (status, raw or b"", headers or {})
        self.raws.append(Raw(method, re.compile(path), times, make or (lambda query: fixed), trickle))

    def add_comment(self, number: int, body: str, user: dict | None = None, association: str = "NONE") -> dict:
        with self._lock:
            return self._new_comment(number, body, user or {"login": "someone", "type": "User"}, association)

    def add_issue(self, body: str, *, labels=("drift",), user: dict | None = None, pull_request: bool = False, state: str = "open") -> dict:
        with self._lock:
            issue = self._new_issue("added by the test", body, list(labels), user or BOT)
            issue["state"] = state
            if pull_request:
                issue["pull_request"] = {"url": "x"}
            return issue

    def merged_pr(self, sha: str, number: int, *, merge_commit_sha: str | None = None, merged: bool = True) -> dict:
        pr = {
            "number": number,
            "merged_at": "2026-11-20T10:00:00Z" if merged else None,
            "merge_commit_sha": merge_commit_sha or sha,
            "state": "closed" if merged else "open",
        }
        self.commit_pulls.setdefault(sha, []).append(pr)
        return pr

    def add_commit(self, sha: str, files: dict[str, str], message: str = "a commit", parents: tuple = ()) -> str:
        """A commit of these files (path -> text), e.g. the default branch's head (GITHUB_SHA)."""
        tree = {path: self._blob(text) for path, text in files.items()}
        tree_sha = self._tree_sha(tree)
        self.trees[tree_sha] = tree
        self.commits[sha] = {"tree": tree_sha, "message": message, "parents": list(parents)}
        return sha

    def files_at(self, branch: str) -> dict[str, str]:
        """path -> text of the files in the head commit of `branch`."""
        tree = self.trees[self.commits[self.branches[branch]]["tree"]]
        return {path: self.blobs[sha] for path, sha in tree.items()}

    def add_pull(self, branch: str, body: str, user: dict | None = None, state: str = "open") -> dict:
        with self._lock:
            return self._new_pull({"title": "added by the test", "head": branch, "base": "main", "body": body}, user or BOT, state)

    def open_pulls(self) -> list[dict]:
        return [p for p in self.pulls.values() if p["state"] == "open"]

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if (method is None or r.method == method) and (path is None or re.search(path, r.path))]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PATCH")]

    def open_issues(self) -> list[dict]:
        return [i for i in self.issues.values() if i["state"] == "open"]

    # ------------------------------------------------------------ the API

    def _new_comment(self, number: int, body: str, user: dict, association: str) -> dict:
        self._next_id += 1
        c = {
            "id": self._next_id,
            "body": body,
            "user": user,
            "author_association": association,
            "html_url": f"https://github.com/{self.repo}/pull/{number}#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(number, []).append(c)
        return c

    def _new_issue(self, title: str, body: str, labels: list[str], user: dict) -> dict:
        number = self._next_issue
        self._next_issue += 1
        issue = {"number": number, "title": title, "body": body, "state": "open", "labels": [{"name": n} for n in labels],
                 "user": user, "author_association": "NONE"}
        self.issues[number] = issue
        return issue

    def _blob(self, text: str) -> str:
        import hashlib

        sha = hashlib.sha1(b"blob\0" + text.encode()).hexdigest()
        self.blobs[sha] = text
        return sha

    @staticmethod
    def _tree_sha(tree: dict) -> str:
        import hashlib

        return hashlib.sha1(json.dumps(sorted(tree.items())).encode()).hexdigest()

    def _new_pull(self, body: dict, user: dict, state: str = "open") -> dict:
        number = self._next_issue
        self._next_issue += 1
        pr = {"number": number, "title": body["title"], "body": body.get("body"), "state": state, "user": user,
              "head": {"ref": body["head"]}, "base": {"ref": body["base"]},
              "html_url": f"https://github.com/{self.repo}/pull/{number}"}
        self.pulls[number] = pr
        return pr

    def _git(self, method: str, rest: str, query: dict, body, user: dict):
        """The git data endpoints (blobs, trees, commits, refs) and pulls; None: not one of them."""
        import hashlib

        if rest == "/git/blobs" and method == "POST":
            return 201, {"sha": self._blob(body["content"])}, {}
        if rest == "/git/trees" and method == "POST":
            if body.get("base_tree") not in self.trees:
                return 422, {"message": "base_tree is not a tree"}, {}
            tree = dict(self.trees[body["base_tree"]])
            for entry in body["tree"]:
                if entry.get("sha") not in self.blobs or entry.get("type") != "blob":
                    return 422, {"message": "tree entry is not a blob"}, {}
                tree[entry["path"]] = entry["sha"]
            sha = self._tree_sha(tree)
            self.trees[sha] = tree
            return 201, {"sha": sha}, {}
        if rest == "/git/commits" and method == "POST":
            if body["tree"] not in self.trees or any(p not in self.commits for p in body["parents"]):
                return 422, {"message": "tree or parent unknown"}, {}
            sha = hashlib.sha1(json.dumps(body, sort_keys=True).encode() + str(len(self.commits)).encode()).hexdigest()
            self.commits[sha] = {"tree": body["tree"], "message": body["message"], "parents": list(body["parents"])}
            return 201, {"sha": sha}, {}
        if m := re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest):
            c = self.commits.get(m.group(1))
            if c is None:
                return 404, {"message": "Not Found"}, {}
            return 200, {"sha": m.group(1), "tree": {"sha": c["tree"]}, "message": c["message"],
                         "parents": [{"sha": p} for p in c["parents"]]}, {}
        if m := re.fullmatch(r"/git/ref/heads/(.+)", rest):
            branch = urllib.parse.unquote(m.group(1))
            if branch not in self.branches:
                return 404, {"message": "Not Found"}, {}
            return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": self.branches[branch], "type": "commit"}}, {}
        if rest == "/git/refs" and method == "POST":
            branch = body["ref"].removeprefix("refs/heads/")
            if branch in self.branches:
                return 422, {"message": "Reference already exists"}, {}
            if body["sha"] not in self.commits:
                return 422, {"message": "Object does not exist"}, {}
            self.branches[branch] = body["sha"]
            return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}, {}
        if (m := re.fullmatch(r"/git/refs/heads/(.+)", rest)) and method == "PATCH":
            branch = urllib.parse.unquote(m.group(1))
            if branch not in self.branches:
                return 422, {"message": "Reference does not exist"}, {}
            if not body.get("force") and self.branches[branch] not in self._ancestors(body["sha"]):
                return 422, {"message": "Update is not a fast forward"}, {}
            self.branches[branch] = body["sha"]
            return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": body["sha"]}}, {}
        if rest == "/pulls" and method == "GET":
            owner = self.repo.split("/")[0]
            head = query.get("head", "")
            items = [p for p in self.pulls.values() if p["state"] == query.get("state", "open")
                     and (not head or f"{owner}:{p['head']['ref']}" == head)]
            return self._page(items, query, f"/repos/{self.repo}{rest}")
        if rest == "/pulls" and method == "POST":
            if body["head"] not in self.branches:
                return 422, {"message": "head does not exist"}, {}
            if any(p["state"] == "open" and p["head"]["ref"] == body["head"] for p in self.pulls.values()):
                return 422, {"message": "A pull request already exists"}, {}
            return 201, self._new_pull(body, user), {}
        if (m := re.fullmatch(r"/pulls/(\d+)", rest)) and method == "PATCH":
            pr = self.pulls.get(int(m.group(1)))
            if pr is None:
                return 404, {"message": "Not Found"}, {}
            for k in ("title", "body", "state"):
                if k in body:
                    pr[k] = body[k]
            return 200, pr, {}
        return None

    def _ancestors(self, sha: str) -> set:
        seen, todo = set(), [sha]
        while todo:
            s = todo.pop()
            if s not in seen and s in self.commits:
                seen.add(s)
                todo += self.commits[s]["parents"]
        return seen

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(Request(method, parsed.path, query, body, dict(h.headers)))
            for fault in self.faults:
                if fault.times and fault.method == method and fault.path.search(parsed.path):
                    fault.times -= 1
                    return self._send(h, fault.status, fault.body, fault.headers)
            raw = None
            for r in self.raws:
                if (r.times is None or r.times > 0) and r.method == method and r.path.search(parsed.path):
                    if r.times is not None:
                        r.times -= 1
                    raw = r
                    break
            if raw is None:
                auth = h.headers.get("Authorization") or ""
                user = self.tokens.get(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
                if user is None:
                    return self._send(h, 401, {"message": "Bad credentials"})
                status, data, extra = self._route(method, parsed.path, query, body, h, auth[len("Bearer "):], user)
        if raw is not None:
            return self._send_raw(h, *raw.make(query), raw.trickle)
        self._send(h, status, data, extra)

    def _page(self, items: list, query: dict, path: str) -> tuple[int, list, dict]:
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = dict(query, page=str(page + 1))
            headers["Link"] = f'<{self.url}{path}?{urllib.parse.urlencode(nxt)}>; rel="next"'
        return 200, chunk, headers

    def _route(self, method: str, path: str, query: dict, body, h, token: str, user: dict) -> tuple[int, object, dict]:
        if path == "/user" and method == "GET":
            if token in self.user_tokens:
                return 200, dict(user), {}
            return 403, {"message": "Resource not accessible by integration",
                         "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user"}, {}
        prefix = f"/repos/{self.repo}"
        if not path.startswith(prefix + "/"):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(prefix):]
        if (git := self._git(method, rest, query, body, user)) is not None:
            return git
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(m.group(1))
            if method == "GET":
                return self._page(list(self.comments.get(number, [])), query, path)
            if method == "POST":
                if number in self.issues:
                    pass
                return 201, self._new_comment(number, body["body"], user, "NONE"), {}
        if m := re.fullmatch(r"/issues/comments/(\d+)", rest):
            cid = int(m.group(1))
            for cs in self.comments.values():
                for c in cs:
                    if c["id"] == cid and method == "PATCH":
                        c["body"] = body["body"]
                        return 200, c, {}
            return 404, {"message": "Not Found"}, {}
        if m := re.fullmatch(r"/commits/([^/]+)/pulls", rest):
            return 200, list(self.commit_pulls.get(m.group(1), [])), {}
        if m := re.fullmatch(r"/commits/([^/]+)", rest):
            if m.group(1) in self.refs:
                return 200, {"sha": self.refs[m.group(1)]}, {}
            return 404, {"message": "Not Found"}, {}
        if rest == "/issues" and method == "GET":
            label = query.get("labels")
            state = query.get("state", "open")
            items = [i for i in self.issues.values() if i["state"] == state and (not label or label in [x["name"] for x in i["labels"]])]
            return self._page(items, query, path)
        if rest == "/issues" and method == "POST":
            missing = [n for n in body.get("labels", []) if n not in self.labels]
            if missing:
                return 422, {"message": f"label {missing} does not exist"}, {}
            return 201, self._new_issue(body["title"], body["body"], body.get("labels", []), user), {}
        if m := re.fullmatch(r"/issues/(\d+)", rest):
            issue = self.issues.get(int(m.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if method == "PATCH":
                for k in ("body", "state", "state_reason", "title"):
                    if k in body:
                        issue[k] = body[k]
                return 200, issue, {}
            return 200, issue, {}
        if rest == "/labels" and method == "POST":
            if body["name"] in self.labels:
                return 422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]}, {}
            self.labels.add(body["name"])
            return 201, {"name": body["name"]}, {}
        return 404, {"message": "Not Found"}, {}

    @staticmethod
    def _send_raw(h: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict, trickle: float) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            if "Content-Length" not in headers:
                h.send_header("Content-Length", str(len(payload)))
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            if not trickle:
                h.wfile.write(payload)
                return
            for i in range(len(payload)):
                h.wfile.write(payload[i:i + 1])
                h.wfile.flush()
                time.sleep(trickle)
        except OSError:
            pass

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data, headers: dict | None = None) -> None:
        payload = json.dumps(data).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(payload)
        except OSError:
            pass
