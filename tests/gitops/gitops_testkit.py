"""Helpers shared by tests/gitops: run leaderctl as a user would, in a scratch
directory with its own sandbox, and receive webhooks on loopback.

Not a test module (no `test_` prefix); the tests import it by name, pytest's
default import mode puts this directory on sys.path.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Invite codes: one from the environment (examples/desk-btc.yaml uses code_env),
# one written in a file (examples/desks/alt-desks.yaml). Neither may ever show.
INVITE_CODE = "INVQ7X2Z"
FILE_INVITE_CODE = "ALTPRV26"
SECRETS = (INVITE_CODE, FILE_INVITE_CODE)

# Variables of the CI machine that would leak into a run (GitHub Actions sets the
# first two when this suite itself runs there).
_SCRUB = re.compile(r"^(GITHUB_|LEADERCTL_|DESK_BTC_|NO_COLOR$|HTTPS?_PROXY$|ALL_PROXY$)", re.I)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Workspace:
    """A config repository checkout: examples/ copied into a temp dir (the cwd of every run)."""

    root: Path
    outputs: list[str] = field(default_factory=list)

    def leaderctl(self, *args: str, env: dict | None = None, timeout: float = 60) -> Run:
        full_env = {k: v for k, v in os.environ.items() if not _SCRUB.match(k)}
        full_env["DESK_BTC_INVITE_CODE"] = INVITE_CODE
        full_env["NO_PROXY"] = "127.0.0.1,localhost"
        full_env.update(env or {})
        p = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.outputs += [p.stdout, p.stderr]
        return Run(p.returncode, p.stdout, p.stderr)

    @property
    def state_file(self) -> Path:
        return self.root / ".leaderctl" / "sandbox.json"

    def edit_live_config(self, leader: str, **fields) -> None:
        """Change the exchange behind leaderctl's back (as someone in the web UI would)."""
        state = json.loads(self.state_file.read_text(encoding="utf-8"))
        state["accounts"][leader]["config"].update(fields)
        self.state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")

    def line_of(self, relpath: str, text: str) -> int:
        """1-based number of the only line of a config file containing `text`."""
        lines = (self.root / relpath).read_text(encoding="utf-8").splitlines()
        hits = [i + 1 for i, line in enumerate(lines) if text in line]
        assert len(hits) == 1, f"{text!r} occurs {len(hits)} times in {relpath}"
        return hits[0]

    def replace_in(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        content = path.read_text(encoding="utf-8")
        assert old in content, f"{old!r} not in {relpath}"
        path.write_text(content.replace(old, new, 1), encoding="utf-8")

    def assert_no_secrets(self, *extra: str) -> None:
        for text in self.outputs + list(extra):
            for secret in SECRETS:
                assert secret not in text, f"invite code {secret} leaked into: {text[:300]!r}"


def workspace(tmp_path: Path) -> Workspace:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return Workspace(tmp_path)


# ---------------------------------------------------------------- webhooks


class Receiver:
    """A Slack-like webhook endpoint on 127.0.0.1 that records every POST."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.status = status
        self.delay = delay
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                payload = b"ok" if receiver.status < 300 else b"server error"
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def bodies(self) -> list[str]:
        return [r["body"] for r in self.requests]


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connection refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


# ---------------------------------------------------------------- prometheus textfile

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"\s*(?:,|$)')


def parse_textfile(text: str) -> dict[str, dict]:
    """A small, strict parser of the text exposition format node-exporter's textfile
    collector reads: returns {name: {"type": ..., "help": ..., "samples": {labels: value}}}
    and fails on anything malformed."""
    assert text.endswith("\n"), "the file must end with a newline"
    families: dict[str, dict] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                fam = families.setdefault(parts[2], {"type": None, "help": None, "samples": {}})
                if parts[1] == "TYPE":
                    assert fam["samples"] == {}, f"line {n}: TYPE after samples of {parts[2]}"
                    assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), f"line {n}: bad type"
                    fam["type"] = parts[3]
                else:
                    fam["help"] = parts[3] if len(parts) > 3 else ""
            continue
        m = _SAMPLE.match(line)
        assert m, f"line {n} is not a sample: {line!r}"
        name, labels_text, value = m.group(1), m.group(2) or "", m.group(3)
        labels = []
        pos = 0
        while pos < len(labels_text):
            lm = _LABEL.match(labels_text, pos)
            assert lm, f"line {n}: bad labels {labels_text!r}"
            labels.append((lm.group(1), lm.group(2)))
            pos = lm.end()
        float(value)  # NaN, +Inf and -Inf parse too
        fam = families.setdefault(name, {"type": None, "help": None, "samples": {}})
        key = tuple(sorted(labels))
        assert key not in fam["samples"], f"line {n}: duplicate sample {name}{labels}"
        fam["samples"][key] = float(value)
    return families


def per_leader(families: dict, metric: str) -> dict[str, float]:
    return {dict(k)["leader"]: v for k, v in families[metric]["samples"].items()}


def applied(ws, config: str = "examples/"):
    """The workspace after `apply --auto-approve` of `config` converged."""
    r = ws.leaderctl("apply", "--sandbox", "--auto-approve", config)
    assert r.code == 0, r.output
    return ws
