"""The progress state and its renderers (reconciler.progress), without a terminal."""
from __future__ import annotations

import io
import sys
import threading

import pytest

from reconciler.exchange.limiter import WeightLimiter
from reconciler.progress import (
    PLAIN_GAP, PLAIN_QUIET, READING, WRITING, Printed, Progress, Snapshot, Tally, columns, cut, duration, line,
    plain_due,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("seconds, text", [
    (0.04, "0.0 s"), (0.4, "0.4 s"), (9.94, "9.9 s"), (12.4, "12 s"), (59.4, "59 s"), (60, "1 min 00 s"), (125, "2 min 05 s"),
])
def test_durations(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize("snap, text", [
    (Snapshot(READING, 0, 200), "reading 0/200 leaders, 0 requests"),
    (Snapshot(READING, 50, 200, requests=75, elapsed=10), "reading 50/200 leaders, 75 requests, ETA 30 s"),
    (Snapshot(READING, 1, 2, requests=1, elapsed=1), "reading 1/2 leaders, 1 request, ETA 1.0 s"),
    # a pause on now: it says so, and the ETA is the pause, then the pace outside pauses (5 s for 50)
    (Snapshot(READING, 50, 200, requests=75, waits=1, waited=40, paused_left=35, elapsed=10),
     "reading 50/200 leaders, 75 requests, 1 rate-limit wait (40 s), paused 35 s (rate limited), ETA 50 s"),
    (Snapshot(READING, 50, 200, requests=75, waits=1, waited=5, elapsed=15),  # after the pause: 10 s for 50
     "reading 50/200 leaders, 75 requests, 1 rate-limit wait (5.0 s), ETA 30 s"),
    (Snapshot(WRITING, 3, 15, requests=9, waits=2, waited=7.5, elapsed=10.5),
     "writing 3/15 leaders, 9 requests, 2 rate-limit waits (7.5 s), ETA 12 s"),
    (Snapshot(READING, 10, 200, requests=20, throttled=True, elapsed=5),
     "reading 10/200 leaders, 20 requests, waiting for the weight budget, ETA 1 min 35 s"),
    (Snapshot(READING, 200, 200, requests=298, elapsed=4.2),
     "reading 200/200 leaders: done in 4.2 s, 298 requests, no rate-limit wait"),
    (Snapshot(WRITING, 15, 15, requests=60, waits=1, waited=2, elapsed=61),
     "writing 15/15 leaders: done in 1 min 01 s, 60 requests, 1 rate-limit wait (2.0 s)"),
])
def test_the_line(snap, text):
    assert line(snap) == text


def test_the_name_of_the_last_leader_is_escaped_and_only_while_running():
    snap = Snapshot(READING, 1, 3, requests=1, elapsed=1, last="desk\x1b[2J\rforged")
    assert line(snap, name=True).endswith(", desk\\x1b[2J\\x0dforged")
    assert "desk" not in line(snap)  # plain lines name no leader
    assert "desk" not in line(Snapshot(READING, 3, 3, last="desk"), name=True)


@pytest.mark.parametrize("text, width, out", [
    ("short", 10, "short"),
    ("exactly-10", 10, "exactly-10"),
    ("a bit too long", 10, "a bit too…"),
    ("日本語のリーダー", 9, "日本語の…"),  # wide characters take two columns
])
def test_cut_to_columns(text, width, out):
    assert cut(text, width) == out
    assert columns(cut(text, width)) <= width


@pytest.mark.parametrize("snap, printed, now, due", [
    (Snapshot(READING, 20, 200), Printed(at=0), PLAIN_GAP, True),  # a tenth done
    (Snapshot(READING, 19, 200), Printed(at=0), PLAIN_GAP, False),  # not yet a tenth
    (Snapshot(READING, 20, 200), Printed(at=0), PLAIN_GAP - 0.1, False),  # too soon after the last line
    (Snapshot(READING, 39, 200), Printed(at=0, done=20), PLAIN_GAP, False),
    (Snapshot(READING, 40, 200), Printed(at=0, done=20), PLAIN_GAP, True),
    (Snapshot(READING, 1, 3), Printed(at=0), PLAIN_GAP, True),  # a step is at least one leader
    (Snapshot(READING, 5, 200, waits=1), Printed(at=0), PLAIN_GAP, True),  # a rate-limit wait began
    (Snapshot(READING, 5, 200, waits=1), Printed(at=0, waits=1), PLAIN_GAP, False),
    (Snapshot(READING, 5, 200), Printed(at=0, done=5), PLAIN_QUIET, True),  # alive after a long quiet
    (Snapshot(READING, 200, 200), Printed(at=0), 100, False),  # the final line is the phase's
])
def test_when_a_plain_line_is_due(snap, printed, now, due):
    assert plain_due(snap, printed, now) is due


def test_the_tally_counts_a_phase_and_overlapping_pauses_once():
    clock = Clock()
    tally = Tally(clock)
    tally.start(READING, 4)
    for _ in range(3):
        tally.admitted(1)
    tally.paused(10)  # 429: a new wait
    clock.now += 2
    tally.paused(10)  # another thread's 429 during it: the same wait, 2 s longer
    tally.paused(3)  # inside the current one: nothing longer
    tally.done("a")
    snap = tally.snapshot()
    assert (snap.requests, snap.waits, snap.waited, snap.paused_left, snap.done, snap.last) == (3, 1, 12, 10, 1, "a")
    clock.now += 11
    tally.paused(1)  # after the first ended: a second wait
    assert (tally.snapshot().waits, tally.snapshot().waited) == (2, 13)


def test_a_new_phase_starts_from_zero_but_a_pause_on_carries_over():
    clock = Clock()
    tally = Tally(clock)
    tally.start(READING, 2)
    tally.admitted(1)
    tally.paused(30)
    clock.now += 10
    tally.start(WRITING, 5)
    snap = tally.snapshot()
    assert (snap.phase, snap.total, snap.done, snap.requests, snap.waits, snap.waited) == (WRITING, 5, 0, 0, 1, 20)


def test_the_tally_as_the_limiters_observer():
    clock = Clock()
    tally = Tally(clock)
    limiter = WeightLimiter(2, clock=clock)
    limiter.pause(5)  # an earlier run's pause, loaded before anyone observed
    limiter.observe(tally)
    tally.start(READING, 3)
    clock.now += 5
    limiter.try_acquire()
    limiter.try_acquire()
    snap = tally.snapshot()
    assert (snap.requests, snap.waits, snap.waited) == (2, 1, 5)


def test_the_tally_is_thread_safe():
    tally = Tally()
    tally.start(READING, 8000)

    def work():
        for _ in range(1000):
            tally.admitted(1)
            tally.done("x")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (tally.snapshot().requests, tally.snapshot().done) == (8000, 8000)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_rewritten_then_erased():
    out = Tty()
    progress = Progress(stream=out, interval=0.01)
    with progress.phase(READING, 3) as tally:
        tally.admitted(1)
        tally.done("desk-a")
        threading.Event().wait(0.1)
    text = out.getvalue()
    assert "\n" not in text and "\x1b" not in text  # no line break, no escape code (no colour)
    drawn = [part for part in text.split("\r") if part.strip()]
    assert drawn and all(d.startswith("reading 1/3 leaders, 1 request") for d in drawn)
    assert text.endswith("\r" + " " * len(drawn[-1].rstrip()) + "\r")  # erased: the terminal is clean


def test_a_pipe_gets_the_final_line_and_nothing_on_failure():
    out = io.StringIO()
    with Progress(stream=out, interval=0.01).phase(WRITING, 2) as tally:
        tally.done("a")
        tally.done("b")
    assert out.getvalue() == "writing 2/2 leaders: done in 0.0 s, 0 requests, no rate-limit wait\n"
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt), Progress(stream=out, interval=0.01).phase(READING, 2):
        raise KeyboardInterrupt
    assert out.getvalue() == ""


@pytest.mark.parametrize("progress, total", [
    (Progress(enabled=False), 5),  # --quiet
    (Progress(), 1),  # one leader: over before a line would help
])
def test_nothing_shown(progress, total, capsys):
    progress.stream = Tty()
    with progress.phase(READING, total) as tally:
        tally.done("a")
    assert progress.stream.getvalue() == ""


def test_plain_lines_on_a_terminal_with_verbose():
    out = Tty()
    with Progress(stream=out, plain=True, interval=0.01).phase(READING, 2) as tally:
        tally.done("a")
        tally.done("b")
    assert out.getvalue() == "reading 2/2 leaders: done in 0.0 s, 0 requests, no rate-limit wait\n"


def test_other_stderr_writes_erase_the_terminal_line_first(monkeypatch):
    out = Tty()
    monkeypatch.setattr(sys, "stderr", out)
    with Progress(interval=0.01).phase(READING, 2) as tally:
        tally.done("a")
        threading.Event().wait(0.1)
        assert sys.stderr is not out  # guarded while the line shows
        print("warning: something", file=sys.stderr)
    assert sys.stderr is out  # given back
    text = out.getvalue()
    before, after = text.split("warning: something\n")
    assert before.endswith(" \r")  # the line was erased before the warning
    assert "reading 1/2" in before


def test_the_readme_shows_a_real_line_and_the_real_plain_rules():
    from pathlib import Path

    from reconciler.progress import PLAIN_STEP

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    shown = line(Snapshot(READING, 37, 200, requests=81, waits=1, waited=6, elapsed=8.72))
    assert f"(`{shown}`)" in text
    assert f"at most one every {PLAIN_GAP:.0f} s, when another tenth" in text and PLAIN_STEP == 0.1
    assert f"or {PLAIN_QUIET:.0f} s passed" in text
