"""Ctrl-C and SIGTERM (docs/contract.md §6).

While reading (plan, drift, and apply's own planning) the first signal stops the
run at once: `KeyboardInterrupt`, nothing was written. Once apply starts writing,
the first signal only sets `stop`: no new write starts, the writes in flight are
settled, and the report covers every leader. A second signal exits at once,
naming the writes whose outcome is unknown.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """Installs SIGINT/SIGTERM handlers for one command run (main thread only)."""

    def __init__(self, connection=None):
        self.stop = threading.Event()
        self.count = 0
        self.connection = connection  # exchange.Connection: told to send nothing new
        self._graceful = False
        self._writes: Callable[[], tuple[list[str], bool]] = lambda: ([], False)
        self._previous: dict = {}

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def writing(self, writes: Callable[[], tuple[list[str], bool]]) -> None:
        """From now on the first signal is graceful; `writes()` is (writes in flight, anything sent)."""
        self._graceful = True
        self._writes = writes

    def _handle(self, signum, frame) -> None:
        self.count += 1
        name = signal.Signals(signum).name
        if not self._graceful:
            if self.connection is not None:
                self.connection.abort()  # reads in flight are cancelled: nothing was written
            raise KeyboardInterrupt(name)
        if self.count == 1:
            self.stop.set()
            if self.connection is not None:
                self.connection.interrupt()  # writes in flight settle; nothing new is sent
            _say(f"{name}: stopping: no new write will start; settling the writes in flight (again to exit at once)")
            return
        pending, sent = self._writes()
        if pending:
            _say(f"{name} again: exiting now; outcome unknown for: {'; '.join(pending)}. Run `leaderctl plan` to see the current state.")
        else:
            _say(f"{name} again: exiting now; no write was in flight.")
        sys.stdout.flush()
        os._exit(3 if sent or pending else 1)


def _say(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
    except OSError:
        pass
