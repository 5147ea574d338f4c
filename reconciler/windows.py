"""Change windows (docs/contract.md §10): is a leader's change held now, and until when?

Pure functions of (windows, leader name, paths, instant); the clock is `now()`, read once
per run by the caller. Cron schedules are read by `cronsim` (README, "Guardrails", says
why that library), always in UTC: no time zone, no DST.

The rules, where the contract leaves them to us:

- A window is active from each time its schedule fires, for its duration: a minute
  `m` is inside it when a fire time `s` has `s <= m < s + duration`. Runs may cross
  midnight, and overlapping or adjacent runs of one window join into one.
- A window governs a change when its `leaders` patterns (shell-style; none: all) match
  the leader and its `paths` (none: all) cover the change's path (a section covers its
  settings; `followers` covers follower removals).
- A change is held while a governing deny window is active (deny beats allow), or while
  allow windows govern it and none of them is active. A leader is held when any change
  it would write (or a follower removal) is held: it gets no write at all.
- `until` is the first whole minute, after now, at which nothing of the leader is held;
  None when that is not within LOOK_AHEAD (or a window is active without a break for
  longer than the scan follows).
- `window` names the window that holds it now: the active deny window whose run ends
  last, or, with no deny active, the allow window that opens first.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase

from reconciler import spec
from reconciler.errors import UsageError
from reconciler.model import Hold, LeaderStatus, Plan, Policy, Window
from reconciler.spec import WindowKind

MINUTE = timedelta(minutes=1)
LOOK_AHEAD = timedelta(days=400)  # a yearly window still opens within it
MAX_RUN_STEPS = 20_000  # fire times one run of a window is followed through (every minute: ~2 weeks)
NOW_ENV = "LEADERCTL_NOW"


# --- the clock ------------------------------------------------------------------------------------


def now() -> datetime:
    """The instant windows are evaluated at: LEADERCTL_NOW (RFC 3339, for drills and tests) or the clock."""
    given = os.environ.get(NOW_ENV)
    if not given:
        return datetime.now(timezone.utc)
    ms = spec.parse_timestamp(given.strip())
    if ms is None:
        raise UsageError(f"{NOW_ENV}={given[:40]!r} is not an RFC 3339 time with a zone such as 2026-12-07T07:30:00Z")
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


# --- schedules ------------------------------------------------------------------------------------


def schedule_problem(schedule: str) -> str | None:
    """Why a 5-field cron schedule cannot be used (None: it can)."""
    from cronsim import CronSim, CronSimError

    if len(schedule.split()) != 5:
        return f"it has {len(schedule.split())} fields"
    try:
        it = CronSim(schedule, datetime(2000, 1, 1, tzinfo=timezone.utc))
        next(it)
    except CronSimError as e:
        return str(e).lower() or "not a cron schedule"
    except StopIteration:
        return "it never fires"
    return None


def _after(schedule: str, instant: datetime) -> datetime | None:
    """The first fire time strictly after `instant`."""
    from cronsim import CronSim

    try:
        return next(CronSim(schedule, instant))
    except StopIteration:
        return None


def _at_or_before(schedule: str, minute: datetime) -> datetime | None:
    """The last fire time at or before the whole minute `minute`."""
    from cronsim import CronSim

    try:
        return next(CronSim(schedule, minute + timedelta(seconds=1), reverse=True))
    except StopIteration:
        return None


def _active(w: Window, minute: datetime) -> bool:
    fired = _at_or_before(w.schedule, minute)
    return fired is not None and minute < fired + timedelta(minutes=w.minutes)


def _run_end(w: Window, minute: datetime, horizon: datetime) -> datetime:
    """The first minute after `minute` at which the active window `w` is no longer active
    (joined runs followed through), or `horizon` when that is further."""
    length = timedelta(minutes=w.minutes)
    end = _at_or_before(w.schedule, minute) + length
    for _ in range(MAX_RUN_STEPS):
        if end >= horizon:
            return horizon
        fired = _at_or_before(w.schedule, end)  # a run starting at or before the end extends it
        if fired is None or fired + length <= end:
            return end
        end = fired + length
    return horizon


def _opens(w: Window, minute: datetime) -> datetime | None:
    """The first fire time at or after the whole minute `minute`."""
    return _after(w.schedule, minute - timedelta(seconds=1))


# --- holding --------------------------------------------------------------------------------------


def governs(w: Window, leader: str, path: str) -> bool:
    """Whether window `w` applies to a change of `path` by leader `leader`."""
    if w.leaders and not any(fnmatchcase(leader, pattern) for pattern in w.leaders):
        return False
    return not w.paths or spec.covers(w.paths, path)


def governing(windows, leader: str, paths) -> tuple[Window, ...]:
    return tuple(w for w in windows if any(governs(w, leader, p) for p in paths))


def hold(windows, leader: str, paths, at: datetime) -> Hold | None:
    """Whether the windows hold a write of `paths` by `leader` at `at`, and until when:
    the first minute at which no path is held (each path's hold is followed in turn)."""
    sets = list(dict.fromkeys(governing(windows, leader, [p]) for p in paths))
    start = at.astimezone(timezone.utc).replace(second=0, microsecond=0)
    first, cur = None, start
    while True:
        held = [h for h in (_hold_one(ws, cur) for ws in sets) if h is not None]
        if not held:
            return None if first is None else Hold(cur, first.window, first.reason)
        if first is None:
            first = max(held, key=lambda h: (h.until is None, h.until or start, -h.window))
        if any(h.until is None for h in held):
            return Hold(None, first.window, first.reason)
        cur = max(h.until for h in held)
        if cur >= start + LOOK_AHEAD:
            return Hold(None, first.window, first.reason)


def _hold_one(ws: tuple[Window, ...], at: datetime) -> Hold | None:
    """The hold of one path by the windows that govern it (`_held` says the rule)."""
    if not ws:
        return None
    start = at.astimezone(timezone.utc).replace(second=0, microsecond=0)
    horizon = start + LOOK_AHEAD
    denies = [w for w in ws if w.kind is WindowKind.DENY]
    allows = [w for w in ws if w.kind is WindowKind.ALLOW]
    cur, culprit = start, None
    while cur < horizon:
        moved = cur
        active = [(_run_end(w, cur, horizon), w) for w in denies if _active(w, cur)]
        if active:
            end, w = max(active, key=lambda a: (a[0], -a[1].index))
            culprit = culprit or w
            moved = end
        if allows and moved < horizon and not any(_active(a, moved) for a in allows):
            opening = [(t, a) for a in allows if (t := _opens(a, moved)) is not None]
            if not opening:
                return Hold(None, (culprit or allows[0]).index, (culprit or allows[0]).describe())
            t, a = min(opening, key=lambda o: (o[0], o[1].index))
            culprit = culprit or a
            moved = t
        if moved == cur:
            return None if cur == start else Hold(cur, culprit.index, culprit.describe())
        cur = moved
    return Hold(None, culprit.index, culprit.describe())


def hold_now(policy: Policy, lp) -> Hold | None:
    """Whether the windows hold `lp`'s writes at this minute (apply asks just before a
    leader's first write: a window may open while apply waits at its prompt or its queue)."""
    if not policy.windows or not lp.writes:
        return None
    return hold(policy.windows, lp.name, lp.touches, now())


def hold_plan(plan: Plan, policy: Policy, at: datetime) -> Plan:
    """Set `held` on every leader whose writes the policy's windows hold at `at`.

    Blocked and error leaders are left as they are: nothing would be written for them
    anyway, and their problems come first. Leaders with the same governing windows share
    one evaluation (a fleet usually has a handful of distinct sets)."""
    if not policy.windows:
        return plan
    seen: dict[tuple, Hold | None] = {}
    for lp in plan.leaders:
        if lp.status not in (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC) or not lp.writes:
            continue
        key = tuple(tuple(w.index for w in governing(policy.windows, lp.name, [p])) for p in lp.touches)
        if key not in seen:
            seen[key] = hold(policy.windows, lp.name, lp.touches, at)
        lp.held = seen[key]
    return plan
