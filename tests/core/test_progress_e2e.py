"""Progress of a real `leaderctl` process against the sandbox: one line rewritten in place
on a pseudo-terminal (reads and apply's writes), erased at the end and on Ctrl-C; a few
plain lines on a pipe, however many leaders; none with --quiet."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
from e2e_kit import drifted_leaders, subprocess_env

from reconciler.sandbox import Fault, Sandbox

COLUMNS = 60
PROGRESS = re.compile(r"^(reading|writing) \d+/\d+ leaders")


@pytest.fixture
def world(tmp_path):
    """A sandbox; `make(n)` gives n leaders whose live rate differs from the config's."""
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        env = subprocess_env(sb, tmp_path)

        def make(n: int, prefix: str = "desk"):
            return drifted_leaders(sb, env, tmp_path / "leaders.yaml", [f"{prefix}-{i:03d}" for i in range(n)])

        yield sb, env, make


def on_a_terminal(env, *args, interrupt_when: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run leaderctl with stderr on a pty of COLUMNS columns; (exit code, stderr as the
    terminal got it, stdout). `interrupt_when`: send SIGINT once stderr shows this."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen, sent, deadline = b"", False, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if interrupt_when is not None and not sent and interrupt_when in seen:
            proc.send_signal(signal.SIGINT)
            sent = True
        if proc.poll() is not None and not ready:
            break
    out = proc.stdout.read()
    code = proc.wait(timeout=30)
    os.close(leader)
    return code, seen, out


def draws(screen: str) -> list[str]:
    """The lines drawn over each other with carriage returns (the erasing ones left out)."""
    return [part for part in screen.split("\r") if part.strip()]


def test_apply_on_a_terminal_rewrites_one_line_for_reads_and_writes_and_erases_it(world):
    sb, env, make = world
    path = make(12)
    sb.inject(Fault(kind="latency", delay=0.3, times=None))  # every answer: each phase lasts a few redraws
    code, raw, out = on_a_terminal(env, "apply", path, "--auto-approve")
    assert code == 0, raw
    screen = raw.decode()
    assert "\n" not in screen and "\x1b" not in screen  # one line, rewritten; no escape code, no colour
    drawn = draws(screen)
    assert any(d.startswith("reading ") for d in drawn) and any(d.startswith("writing ") for d in drawn)
    assert all(PROGRESS.match(d) for d in drawn), drawn
    assert all(len(d) <= COLUMNS - 1 for d in drawn)  # within the terminal's width, never wrapping
    assert any(re.search(r", desk-0\d\d$|…$", d) for d in drawn)  # the last leader done, or cut to fit
    assert screen.endswith("\r" + " " * len(drawn[-1]) + "\r")  # erased: the terminal is left clean
    writes = [d for d in drawn if d.startswith("writing ")]
    assert all(re.match(r"writing \d+/12 leaders, [1-9]\d* requests?", d) for d in writes[1:]), writes
    assert b"Apply complete" in out or b"applied" in out.lower()


def test_ctrl_c_on_a_terminal_erases_the_line_before_saying_so(world):
    sb, env, make = world
    path = make(6)
    sb.inject(Fault(kind="latency", delay=5, times=None))
    code, raw, _ = on_a_terminal(env, "plan", path, interrupt_when=b"reading 0/6 leaders")
    assert code == 1
    screen = raw.decode()
    said = "interrupted (SIGINT): nothing was written\r\n"  # the pty turns \n into \r\n
    assert screen.endswith(said)
    before = screen[: -len(said)]
    assert "\n" not in before
    assert before.endswith("\r" + " " * len(draws(before)[-1]) + "\r")  # the progress line erased first


def test_ctrl_c_during_the_writes_keeps_the_terminal_clean(world):
    sb, env, make = world
    path = make(6)
    sb.inject(Fault(method="PUT", kind="latency", delay=1.5, times=None))
    code, raw, out = on_a_terminal(env, "apply", path, "--auto-approve", "--parallelism", "2",
                                   interrupt_when=b"writing 0/6 leaders")
    assert code == 3, raw  # partial: the writes in flight settled, the rest not started
    screen = raw.decode()
    said = "SIGINT: stopping: no new write will start; settling the writes in flight (again to exit at once)\r\n"
    before, after = screen.split(said)
    assert before.endswith("\r" + " " * len(draws(before)[-1]) + "\r")  # erased before the message
    assert "\n" not in after and after.endswith("\r" + " " * len(draws(after)[-1]) + "\r")  # and at the end
    assert all(d.startswith("writing ") for d in draws(after))
    assert b"not started" in out


def test_verbose_on_a_terminal_gives_plain_lines_between_the_request_lines(world):
    sb, env, make = world
    path = make(3)
    code, raw, _ = on_a_terminal(env, "plan", path, "-v")
    assert code == 0, raw
    lines = raw.decode().split("\r\n")
    assert lines[-2] == "reading 3/3 leaders: done in " + lines[-2].split("done in ")[1]
    assert all(line.startswith("leaderctl: ") for line in lines[:-2])  # the request lines, unbroken


@pytest.mark.slow
def test_a_pipe_gets_a_few_plain_lines_for_200_leaders_writes_included(world):
    sb, env, make = world
    path = make(200)
    # one rate-limit wait, on a leader read (not on the exchangeInfo read before them)
    sb.inject(Fault(method="GET", path_prefix="/api/v2/copy-trading/leader/config", kind="429", retry_after=6, times=1))
    proc = subprocess.run([sys.executable, "-m", "reconciler", "apply", path, "--auto-approve"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    warned, *lines = proc.stderr.splitlines()
    assert warned == "GET /api/v2/copy-trading/leader/config: rate limited; pausing every request for 6.0 s"
    assert all(PROGRESS.match(line) for line in lines), lines
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    reading = [line for line in lines if line.startswith("reading")]
    writing = [line for line in lines if line.startswith("writing")]
    assert re.fullmatch(r"reading 200/200 leaders: done in .+, \d+ requests, 1 rate-limit wait \(6\.0 s\)", reading[-1])
    assert re.fullmatch(r"writing 200/200 leaders: done in .+, \d+ requests, no rate-limit wait", writing[-1])
    assert any("paused" in line or "rate-limit wait" in line for line in reading[:-1])  # said while waiting
    assert 1 <= len(reading) <= 12 and 1 <= len(writing) <= 12  # a tenth at a time at most, never one per leader
    assert lines == reading + writing
    assert "desk-" not in proc.stderr  # plain lines name no leader


def test_a_pipe_gets_the_final_lines_and_quiet_gets_none(world):
    sb, env, make = world
    path = make(5)
    proc = subprocess.run([sys.executable, "-m", "reconciler", "apply", path, "--auto-approve"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["reading 5/5 leaders", "writing 5/5 leaders"]
    make(5, prefix="other")
    proc = subprocess.run([sys.executable, "-m", "reconciler", "plan", path, "-q"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
