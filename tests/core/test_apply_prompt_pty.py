"""apply on a terminal shows the plan and writes only after a literal `yes` (a real pty)."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest
from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live


def _apply_on_a_terminal(exchange, path, answer: str) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(path)], stdin=follower,
                            stdout=follower, stderr=follower, env=env, cwd=exchange.tmp, close_fds=True)
    os.close(follower)
    seen, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Only 'yes' is accepted" in seen:
            os.write(leader, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(timeout=30)
    os.close(leader)
    return code, seen.decode(errors="replace")


@pytest.mark.parametrize("answer, writes", [("yes", 1), ("y", 0), ("no", 0)])
def test_only_yes_writes(exchange, answer, writes):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    code, screen = _apply_on_a_terminal(exchange, path, answer)
    assert '~ settings.profit_sharing.rate (profitRate): "0.05" -> "0.1"' in screen  # the plan came first
    assert len(exchange.puts()) == writes
    assert code == (0 if writes else 1)
    if not writes:
        assert "nothing was written" in screen
