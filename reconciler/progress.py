"""Progress of a long run on stderr: leaders done of total, requests sent, rate-limit
waits, ETA. For plan, drift, refresh and apply (its reads, then its writes).

- `Tally` is the state: fed from the request threads as the connection's limiter
  observer (requests admitted, pauses after a 429, waits for the weight budget) and
  by the runner and the applier as each leader finishes; thread-safe.
- `line` and `plain_due` are pure: a `Snapshot` of the tally in words, and when a
  plain line is due.
- Two displays, chosen per phase by whether stderr is a terminal:
  - a terminal: one line rewritten in place with a carriage return (padded with
    spaces: no escape code, no colour, so NO_COLOR and --no-color hold), cut to the
    terminal's width, redrawn every 0.2 s, erased when the phase ends (done, failed
    or interrupted). While it shows, anything else written to stderr (a warning, an
    interrupt's message) erases it first, so lines never mix.
  - anything else (a pipe, a file, CI logs), and with -v (whose request lines would
    break a rewritten line): plain lines, at most one every PLAIN_GAP seconds, when a
    tenth more of the leaders are done, a rate-limit wait began or PLAIN_QUIET seconds
    passed without a line; and one line when the phase is done.
- A phase of fewer than two leaders shows nothing; `--quiet` shows nothing.

Nothing of the exchange's answers is shown: counts, durations, and the name of the
leader that finished last (from the config, escaped for the terminal).
"""
from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

READING = "reading"
WRITING = "writing"
MIN_TOTAL = 2  # a phase of one leader is over before a line would help
TERMINAL_INTERVAL = 0.2  # seconds between redraws of the terminal line
PLAIN_INTERVAL = 1.0  # seconds between checks whether a plain line is due
PLAIN_GAP = 5.0  # never two plain lines closer than this
PLAIN_STEP = 0.1  # a plain line for each tenth of the leaders done
PLAIN_QUIET = 30.0  # a plain line after this long without one
ELLIPSIS = "…"


@dataclass(frozen=True)
class Snapshot:
    """The tally at one moment (seconds are durations)."""

    phase: str
    done: int
    total: int
    requests: int = 0
    waits: int = 0  # rate-limit pauses begun in this phase (429, or carried over)
    waited: float = 0.0  # their length, overlaps counted once
    paused_left: float = 0.0  # of the pause on now
    throttled: bool = False  # a request is waiting for the weight budget
    elapsed: float = 0.0
    last: str | None = None  # the leader that finished last

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def eta(self) -> float | None:
        """Seconds left: the pause on now, then the rest at the pace so far outside pauses;
        None before the first leader."""
        if self.finished or self.done == 0:
            return None
        working = max(self.elapsed - (self.waited - self.paused_left), 1e-3)
        return self.paused_left + working / self.done * (self.total - self.done)


def duration(seconds: float) -> str:
    """`0.4 s`, `12 s`, `2 min 05 s`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def line(snap: Snapshot, *, name: bool = False) -> str:
    """The snapshot in words, one line; `name`: end with the leader that finished last."""
    parts = [f"{snap.phase} {snap.done}/{snap.total} leaders" + (f": done in {duration(snap.elapsed)}" if snap.finished else "")]
    parts.append(_plural(snap.requests, "request"))
    if snap.waits:
        parts.append(f"{_plural(snap.waits, 'rate-limit wait')} ({duration(snap.waited)})")
    elif snap.finished:
        parts.append("no rate-limit wait")
    if snap.paused_left > 0:
        parts.append(f"paused {duration(snap.paused_left)} (rate limited)")
    elif snap.throttled:
        parts.append("waiting for the weight budget")
    eta = snap.eta()
    if eta is not None:
        parts.append(f"ETA {duration(eta)}")
    if name and snap.last and not snap.finished:
        from reconciler.render.escape import for_terminal

        parts.append(for_terminal(snap.last, limit=60))
    return ", ".join(parts)


@dataclass(frozen=True)
class Printed:
    """What the last plain line showed, and when (seconds of the tally's clock)."""

    at: float
    done: int = 0
    waits: int = 0


def plain_due(snap: Snapshot, last: Printed, now: float) -> bool:
    """Whether a plain line is due now (the phase's final line is printed anyway)."""
    if snap.finished or now - last.at < PLAIN_GAP:
        return False
    step = max(1, math.ceil(snap.total * PLAIN_STEP))
    return snap.done - last.done >= step or snap.waits > last.waits or now - last.at >= PLAIN_QUIET


def columns(text: str) -> int:
    """Terminal columns `text` takes (wide East Asian characters count two)."""
    if text.isascii():
        return len(text)
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, an ellipsis where it was cut."""
    if columns(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = columns(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + ELLIPSIS


class Tally:
    """The counts of the phase under way; the connection's limiter observer. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._pause_end = float("-inf")
        self._throttle_end = float("-inf")
        self.start("", 0)

    def start(self, phase: str, total: int) -> None:
        """A new phase: counts from zero; a pause on now counts as its first wait."""
        with self._lock:
            now = self._clock()
            self._phase, self._total, self._started = phase, total, now
            self._done = self._requests = self._waits = 0
            self._waited, self._last = 0.0, None
            if self._pause_end > now:
                self._waits, self._waited = 1, self._pause_end - now

    def done(self, name: str) -> None:
        """A leader of this phase is finished."""
        with self._lock:
            self._done += 1
            self._last = name

    # -- the limiter's observer (called with its lock held: quick, no call back) -------

    def admitted(self, weight: int) -> None:
        with self._lock:
            self._requests += 1

    def paused(self, seconds: float) -> None:
        with self._lock:
            now = self._clock()
            end = now + seconds
            if now >= self._pause_end:  # a new wait
                self._waits += 1
                self._waited += seconds
            elif end > self._pause_end:  # the wait on now made longer
                self._waited += end - self._pause_end
            self._pause_end = max(self._pause_end, end)

    def throttled(self, seconds: float) -> None:
        with self._lock:
            self._throttle_end = max(self._throttle_end, self._clock() + seconds)

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            return Snapshot(
                phase=self._phase, done=self._done, total=self._total, requests=self._requests,
                waits=self._waits, waited=self._waited, paused_left=max(0.0, self._pause_end - now),
                throttled=self._throttle_end > now, elapsed=now - self._started, last=self._last,
            )

    def now(self) -> float:
        return self._clock()


class _Terminal:
    """One line on a terminal, rewritten in place; erased by `erase` and by any other stderr write."""

    def __init__(self, stream, tally: Tally):
        self.stream = stream
        self.tally = tally
        self.lock = threading.RLock()  # reentrant: a signal handler may write while the main thread erases
        self.shown = 0  # columns of the line on screen (0: none)

    def width(self) -> int:
        import os

        try:
            cols = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            cols = 0
        return max(20, (cols or 80) - 1)  # never the last column: no wrap; 0 columns: unknown

    def draw(self) -> None:
        text = cut(line(self.tally.snapshot(), name=True), self.width())
        with self.lock:
            pad = max(0, self.shown - columns(text))
            self._write("\r" + text + " " * pad)
            self.shown = columns(text)

    def erase(self) -> None:
        with self.lock:
            if self.shown:
                self._write("\r" + " " * self.shown + "\r")
                self.shown = 0

    def tick(self) -> None:
        self.draw()

    def end(self, ok: bool) -> None:
        self.erase()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal: the progress is not worth an error
            pass


class _Plain:
    """A few plain lines; the last one when the phase is done."""

    def __init__(self, stream, tally: Tally):
        self.stream = stream
        self.tally = tally
        self.printed = Printed(at=tally.now())

    def tick(self) -> None:
        snap = self.tally.snapshot()
        now = self.tally.now()
        if plain_due(snap, self.printed, now):
            self._say(line(snap))
            self.printed = Printed(at=now, done=snap.done, waits=snap.waits)

    def end(self, ok: bool) -> None:
        if ok:
            self._say(line(self.tally.snapshot()))

    def _say(self, text: str) -> None:
        try:
            print(text, file=self.stream, flush=True)
        except (OSError, ValueError):
            pass


class _Guard:
    """sys.stderr while a terminal line shows: every write erases the line first."""

    def __init__(self, real, display: _Terminal):
        self._real = real
        self._display = display

    def write(self, text: str) -> int:
        with self._display.lock:
            self._display.erase()
            return self._real.write(text)

    def writelines(self, lines) -> None:
        for text in lines:
            self.write(text)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


class Progress:
    """The progress of one run: `with progress.phase(READING, n): ... progress.tally.done(name)`.

    `enabled` False (or --quiet) shows nothing but still counts; `plain` forces plain lines
    (-v); `stream` None means whatever sys.stderr is when a phase starts."""

    def __init__(self, *, enabled: bool = True, plain: bool = False, stream=None,
                 clock: Callable[[], float] = time.monotonic, interval: float | None = None):
        self.enabled = enabled
        self.plain = plain
        self.stream = stream
        self.interval = interval
        self.tally = Tally(clock)

    @contextmanager
    def phase(self, name: str, total: int) -> Iterator[Tally]:
        self.tally.start(name, total)
        if not self.enabled or total < MIN_TOTAL:
            yield self.tally
            return
        stream = self.stream if self.stream is not None else sys.stderr
        terminal = not self.plain and _isatty(stream)
        display = _Terminal(stream, self.tally) if terminal else _Plain(stream, self.tally)
        guard = None
        if terminal and self.stream is None and sys.stderr is stream:
            guard = sys.stderr = _Guard(stream, display)
        stop = threading.Event()
        interval = self.interval or (TERMINAL_INTERVAL if terminal else PLAIN_INTERVAL)
        ticker = threading.Thread(target=_tick, args=(display, stop, interval), name="progress", daemon=True)
        ticker.start()
        ok = False
        try:
            yield self.tally
            ok = True
        finally:
            stop.set()
            ticker.join(timeout=1.0)
            display.end(ok)
            if guard is not None and sys.stderr is guard:
                sys.stderr = stream


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _tick(display, stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        display.tick()


def progress_of(session) -> Progress:
    """The session's progress, or a silent one (sessions made by tests, `import`, `show`)."""
    found = getattr(session, "progress", None)
    return found if isinstance(found, Progress) else Progress(enabled=False)
