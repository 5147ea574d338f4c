"""Apply a plan: one PUT per leader with changes, confirmed by reading back; then
the follower removals.

Money-safe rules: each PUT is built from a read taken just before it is sent
(after the confirmation prompt and every wait before it): ignored paths carry
their live values as they are then, and a leader whose other live values moved
since the plan (or whose fresh state the exchange would refuse, e.g. -32090) is
refused as stale, nothing sent for it. A write answered by a
5XX, a timeout, -1006/-1007 or a malformed answer is settled by reading the state
back, never assumed; success is only reported after the read-back matches. Once
`stop` is set (the first Ctrl-C or SIGTERM) no new write starts: writes in flight
are settled, and what never began is reported `not_started`.
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from enum import StrEnum

from reconciler.errors import LeaderctlError
from reconciler.live import refresh_config
from reconciler.model import Hold, LeaderOutcome, LeaderPlan, LeaderResult, LeaderStatus, Reading, Removal, Result
from reconciler.planner import fingerprint, plan_leader, remaining
from reconciler.runner import read_live, sealed
from reconciler.spec import SETTINGS, SYMBOLS_PATH

# A PUT is built from a read at most this old when it leaves: held back longer by the rate
# limit (its budget, or a 429 the exchange did not process), it is not sent and is built
# again from a new read, at most MAX_FRESH_READS times.
FRESH_FOR_SECONDS = 2.0
MAX_FRESH_READS = 3


class PutOutcome(StrEnum):
    NONE = "none"  # no config changes: nothing to send
    NOT_SENT = "not_sent"  # interrupted before it was sent
    CONFIRMED = "confirmed"  # sent, and the read-back shows the desired config
    NOT_APPLIED = "not_applied"  # refused, or known not to have changed anything
    UNKNOWN = "unknown"  # sent; whether it was applied cannot be told
    DIFFERS = "differs"  # accepted, but the read-back still differs


def outcome(put: PutOutcome, removals: dict[int, Removal]) -> LeaderOutcome:
    """A leader's result from what became of its PUT and of its follower removals (pure)."""
    states = set(removals.values())
    wrote = put in (PutOutcome.CONFIRMED, PutOutcome.UNKNOWN, PutOutcome.DIFFERS) or bool(
        states & {Removal.REMOVED, Removal.PENDING, Removal.UNKNOWN}
    )
    if put in (PutOutcome.UNKNOWN, PutOutcome.DIFFERS):
        return LeaderOutcome.PARTIAL
    if put is PutOutcome.NOT_SENT:
        return LeaderOutcome.PARTIAL if wrote else LeaderOutcome.NOT_STARTED
    unsettled = states & {Removal.PENDING, Removal.FAILED, Removal.UNKNOWN, Removal.NOT_STARTED}
    if put is PutOutcome.NOT_APPLIED or unsettled:
        if wrote:
            return LeaderOutcome.PARTIAL
        return LeaderOutcome.NOT_STARTED if states == {Removal.NOT_STARTED} and put is PutOutcome.NONE else LeaderOutcome.FAILED
    return LeaderOutcome.APPLIED if wrote else LeaderOutcome.IN_SYNC


class Applier:
    def __init__(self, session, *, stop: threading.Event | None = None, max_put_attempts: int = 2, ignore_windows: bool = False,
                 hold_now: Callable[[LeaderPlan], Hold | None] | None = None):
        self.session = session
        self.ignore_windows = ignore_windows
        # asked just before a leader's first write (windows.hold_now): a leader the plan did
        # not hold may be held by then; one the plan held stays held
        self.hold_now = hold_now
        self.stop = stop or threading.Event()
        self.max_put_attempts = max_put_attempts
        self._lock = threading.Lock()
        self._in_flight: dict[int, str] = {}  # thread -> "leader X: PUT config"
        self._sent = False

    def writes(self) -> tuple[list[str], bool]:
        """(writes sent and not yet settled, whether any write was sent): for the second Ctrl-C."""
        with self._lock:
            return sorted(self._in_flight.values()), self._sent

    def apply(self, plans: list[LeaderPlan], readings: dict[str, Reading]) -> Result:
        """Every leader's result; the session's progress shows the leaders that write."""
        from reconciler.progress import WRITING, progress_of

        writing = {id(lp) for lp in plans if self._may_write(lp, readings.get(lp.name))}
        pool = ThreadPoolExecutor(self.session.parallelism, thread_name_prefix="apply")
        try:
            with progress_of(self.session).phase(WRITING, len(writing)) as tally:
                futures = [pool.submit(self._counted, lp, readings.get(lp.name), tally if id(lp) in writing else None)
                           for lp in plans]
                results = [f.result() for f in futures]
            return Result(leaders=results, interrupted=self.stop.is_set(), ignored_windows=self.ignore_windows)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _may_write(self, lp: LeaderPlan, reading: Reading | None) -> bool:
        """Whether `_one` may send something for this leader (what the progress counts)."""
        if not lp.writes or reading is None or reading.client is None:
            return False
        return lp.status not in (LeaderStatus.BLOCKED, LeaderStatus.ERROR) and (lp.held is None or self.ignore_windows)

    def _counted(self, lp: LeaderPlan, reading: Reading | None, tally) -> LeaderResult:
        result = self._one(lp, reading)
        if tally is not None:
            tally.done(lp.name)
        return result

    def _one(self, lp: LeaderPlan, reading: Reading | None) -> LeaderResult:
        if lp.status is LeaderStatus.BLOCKED:
            return LeaderResult(lp, LeaderOutcome.BLOCKED, [p.message for p in lp.problems])
        if lp.status is LeaderStatus.ERROR or reading is None or reading.client is None:
            return LeaderResult(lp, LeaderOutcome.FAILED, [p.message for p in lp.problems] or ["the leader could not be planned"])
        late = ""
        if lp.held is None and self.hold_now is not None and not self.ignore_windows and not self.stop.is_set():
            if (hold := self.hold_now(lp)) is not None:
                lp, late = dataclasses.replace(lp, held=hold), " (the window opened after the plan was made)"
        if lp.held is not None and not self.ignore_windows:  # no write at all: its PUT would carry the held value
            return LeaderResult(lp, LeaderOutcome.HELD, [f"nothing written: {lp.held.line()}{late}; apply again then, or pass --ignore-windows"])
        res = LeaderResult(lp, LeaderOutcome.IN_SYNC)
        if lp.held is not None:
            res.messages.append(f"windows ignored (--ignore-windows): written although {lp.held.line()}")
        if self.stop.is_set():
            res.removals = dict.fromkeys(lp.follower_removals, Removal.NOT_STARTED)
            res.result = LeaderOutcome.NOT_STARTED if lp.writes else LeaderOutcome.IN_SYNC
            return res
        put = PutOutcome.NONE
        if lp.changes:
            put = self._fresh_put(lp, reading, res)
            if put is None:  # stale, or the fresh read failed: nothing is sent for this leader
                res.removals = dict.fromkeys(lp.follower_removals, Removal.NOT_STARTED)
                res.result = LeaderOutcome.FAILED
                return res
        for user_id in lp.follower_removals:
            res.removals[user_id] = Removal.NOT_STARTED if self.stop.is_set() else self._remove(reading, user_id, res)
        res.result = outcome(put, res.removals)
        return res

    # -- the config ---------------------------------------------------------------------------

    def _fresh_put(self, lp: LeaderPlan, reading: Reading, res: LeaderResult) -> PutOutcome | None:
        """Read, build the PUT from that read, send it; None when nothing may be sent (stale)."""
        from reconciler.exchange import WaitedBeforeSending

        planned = reading.live
        for _ in range(MAX_FRESH_READS):
            body = self._fresh_body(lp, reading, planned, res)
            if body is None:
                return None
            try:
                return self._put_and_confirm(lp, reading, res, body)
            except WaitedBeforeSending:  # not sent: its read has aged; read again
                res.put_sent = False
                continue
        res.messages.append(f"config not sent: the rate limit held the write back after each of {MAX_FRESH_READS} fresh reads; run apply again")
        return None

    def _fresh_body(self, lp: LeaderPlan, reading: Reading, planned, res: LeaderResult) -> dict | None:
        """The PUT body from a read taken now; None (a message said why) when nothing may be sent.

        Ignored paths take their values from this read. Anything else that moved since the
        plan, a change list that is no longer the reviewed one, or a problem the fresh state
        shows (a pair to disable now has a lead order: -32090) makes the leader stale."""
        from reconciler.exchange import InterruptedRequest

        try:
            fresh = read_live(reading.client, reading.leader)
        except InterruptedRequest:
            res.messages.append("config not sent: interrupted")
            return None
        except LeaderctlError as e:
            res.messages.append(f"config not sent: reading the live state just before the write failed: {e}")
            return None
        now = sealed(plan_leader(reading.leader, fresh), reading.client)
        moved = moved_paths(reading.leader, planned, fresh)
        if not moved and [_key(c) for c in now.changes] != [_key(c) for c in lp.changes]:
            moved = ["the planned changes"]
        if not moved and now.sealed != lp.sealed:
            moved = ["a sensitive value (the invite code)"]
        if moved or now.problems or now.body is None:
            why = "; ".join([f"{', '.join(moved)} changed on the exchange since the plan"] if moved else [])
            why = "; ".join(filter(None, [why] + [p.message for p in now.problems])) or "the plan no longer applies"
            res.messages.append(f"stale: config not sent: {why}: run plan again")
            return None
        reading.live = fresh  # what a read-back is compared with from now on
        return now.body

    def _put_and_confirm(self, lp: LeaderPlan, reading: Reading, res: LeaderResult, body: dict) -> PutOutcome:
        """PUT the body, settle an unknown outcome by reading back, confirm the result."""
        from reconciler.exchange import InterruptedRequest, OutcomeUnknownError, WaitedBeforeSending

        for attempt in range(1, self.max_put_attempts + 1):
            try:
                with self._writing(lp.name, "PUT config"):
                    res.put_sent = True
                    # the first attempt leaves within FRESH_FOR_SECONDS of its read, or not at all
                    fresh_for = FRESH_FOR_SECONDS if attempt == 1 else None
                    reading.client.put_config(body, report=res.messages.append, fresh_for=fresh_for)
            except InterruptedRequest:  # stopped before it left: nothing sent this time
                res.put_sent = attempt > 1
                res.messages.append("config not sent: interrupted")
                return PutOutcome.NOT_SENT if attempt == 1 else PutOutcome.UNKNOWN
            except WaitedBeforeSending:
                raise  # not sent: _fresh_put reads again
            except OutcomeUnknownError as e:
                settled = self._settle(lp, reading, res, e.label, last=attempt == self.max_put_attempts)
                if settled is not None:
                    return settled
                continue  # reading back showed nothing changed: the same body once more
            except LeaderctlError as e:  # refused (a 4XX, a code, a ban before sending): nothing written
                res.put_sent = False
                res.messages.append(f"config not applied: {e}")
                return PutOutcome.NOT_APPLIED
            return self._confirm(reading, res)
        return PutOutcome.UNKNOWN

    def _settle(self, lp: LeaderPlan, reading: Reading, res: LeaderResult, label: str, *, last: bool) -> PutOutcome | None:
        """After an unknown outcome: CONFIRMED or UNKNOWN; None to send the same body again."""
        after = self._read_back(reading, res, f"the exchange answered {label}")
        if after is None:
            return PutOutcome.UNKNOWN
        if not remaining(reading.leader, after):
            res.messages.append(f"the exchange answered with an unknown outcome ({label}); reading back shows the config applied")
            return PutOutcome.CONFIRMED
        if fingerprint(after) == fingerprint(reading.live):
            if last or self.stop.is_set():  # a 5XX'd write may still land: unknown, never "failed"
                why = "not sent again: interrupted" if self.stop.is_set() else "sent twice"
                res.messages.append(f"outcome unknown: the exchange answered {label} and reading back shows nothing changed yet ({why}); run plan to see the current state")
                return PutOutcome.UNKNOWN
            res.messages.append(f"the exchange answered with an unknown outcome ({label}); reading back shows nothing changed: sending the same config again")
            return None
        res.messages.append(f"outcome unknown: the exchange answered {label} and reading back does not show the desired config; run plan to see the current state")
        return PutOutcome.UNKNOWN

    def _confirm(self, reading: Reading, res: LeaderResult) -> PutOutcome:
        after = self._read_back(reading, res, "the exchange accepted the config")
        if after is None:
            return PutOutcome.UNKNOWN
        left = remaining(reading.leader, after)
        if left:
            diffs = ", ".join(f"{c.path} ({c.action})" for c in left)
            res.messages.append(f"the exchange accepted the config but reading it back still differs: {diffs}")
            return PutOutcome.DIFFERS
        return PutOutcome.CONFIRMED

    def _read_back(self, reading: Reading, res: LeaderResult, what: str):
        """GET config after a write; None (outcome unknown) when it cannot be read or trusted."""
        try:
            return refresh_config(reading.live, reading.client.get_config(settle=True))
        except LeaderctlError as e:
            res.messages.append(f"outcome unknown: {what}, but reading the config back failed: {e}; run plan to see the current state")
            return None

    # -- followers ----------------------------------------------------------------------------

    def _remove(self, reading: Reading, user_id: int, res: LeaderResult) -> Removal:
        from reconciler.exchange import ExchangeError, InterruptedRequest, OutcomeUnknownError

        for attempt in (1, 2):
            try:
                with self._writing(reading.leader.name, f"DELETE follower {user_id}"):
                    reading.client.remove_follower(user_id)
                return Removal.REMOVED
            except InterruptedRequest:  # not sent this time
                if attempt == 1:
                    return Removal.NOT_STARTED
                res.messages.append(f"follower {user_id}: outcome unknown (no answer, and not sent again: interrupted)")
                return Removal.UNKNOWN
            except OutcomeUnknownError:
                if attempt == 2 or self.stop.is_set():
                    res.messages.append(f"follower {user_id}: outcome unknown (the exchange answered 5XX or timed out)")
                    return Removal.UNKNOWN
                continue  # DELETE is idempotent: a second try settles it ("no such follower" = already gone)
            except ExchangeError as e:
                if e.already_done:  # no such follower (any more)
                    return Removal.NOT_FOUND if attempt == 1 else Removal.REMOVED
                if e.pending:  # refused while the follower's copy positions are open
                    res.messages.append(f"follower {user_id}: pending: has a copy position and cannot be removed yet ({e.label}); apply again once it is closed")
                    return Removal.PENDING
                res.messages.append(f"follower {user_id}: {e}")
                return Removal.FAILED
        return Removal.UNKNOWN

    @contextmanager
    def _writing(self, leader: str, what: str):
        """Mark a write as in flight while it is being sent and answered."""
        from reconciler.exchange import InterruptedRequest, WaitedBeforeSending

        key = threading.get_ident()
        with self._lock:
            self._in_flight[key] = f"leader {leader}: {what}"
        sent = True
        try:
            yield
        except (InterruptedRequest, WaitedBeforeSending):
            sent = False  # stopped (or held back) before it left
            raise
        finally:
            with self._lock:
                self._in_flight.pop(key, None)
                self._sent = self._sent or sent


def _key(change) -> tuple:
    return (change.path, change.field, str(change.action), change.before, change.after)


def moved_paths(leader, before, after) -> list[str]:
    """The paths not ignored by `leader` whose live values differ between two reads (pure;
    names only, never values: the invite code is among them)."""
    moved = [s.path for s in SETTINGS if not leader.ignores(s.path) and getattr(before.settings, s.attr) != getattr(after.settings, s.attr)]
    if not leader.ignores(SYMBOLS_PATH) and set(before.symbols) != set(after.symbols):
        moved.append(SYMBOLS_PATH)
    return moved
