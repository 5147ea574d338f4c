"""windows.hold agrees with a brute-force, minute-by-minute evaluation over the next 8 days:
"held" now, and `until` is the first minute nothing is held (docs/contract.md §10).

The brute force reads the schedules with a matcher of its own (below), not cronsim."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Window
from reconciler.spec import WindowKind
from reconciler.windows import hold

DAYS = 8
BACK = 7 * 24 * 60  # the longest window: fires this far back may still be active
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def field(lo: int, hi: int):
    n = st.integers(lo, hi)
    return st.one_of(
        st.just("*"), n.map(str),
        st.tuples(n, n).map(lambda ab: f"{min(ab)}-{max(ab)}"),
        st.integers(1, max(1, (hi - lo) // 2)).map(lambda s: f"*/{s}"),
        st.lists(n, min_size=2, max_size=3, unique=True).map(lambda xs: ",".join(map(str, xs))),
    )


schedules = st.tuples(field(0, 59), field(0, 23), st.sampled_from(["*", "*", "1", "1-15", "*/10", "28-31"]),
                      st.sampled_from(["*", "*", "*", "12", "1,12", "6-12"]), field(0, 6)).map(" ".join)
durations = st.sampled_from([1, 5, 30, 59, 60, 61, 90, 180, 24 * 60 - 1, 24 * 60, 36 * 60, 3 * 24 * 60, 7 * 24 * 60])
windows = st.lists(st.tuples(st.sampled_from(list(WindowKind)), schedules, durations), min_size=1, max_size=3)
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(lambda d: d.replace(tzinfo=timezone.utc))


def values(text: str, lo: int, hi: int) -> set[int]:
    out = set()
    for part in text.split(","):
        if part == "*":
            out |= set(range(lo, hi + 1))
        elif part.startswith("*/"):
            out |= set(range(lo, hi + 1, int(part[2:])))
        elif "-" in part:
            a, b = map(int, part.split("-"))
            out |= set(range(a, b + 1))
        else:
            out.add(int(part))
    return out


def matcher(schedule: str):
    parts = schedule.split()
    sets = [values(p, lo, hi) for p, (lo, hi) in zip(parts, RANGES)]
    both = not parts[2].startswith("*") and not parts[4].startswith("*")  # cron: day-of-month OR day-of-week

    def fires(t: datetime) -> bool:
        dom, dow = t.day in sets[2], (t.isoweekday() % 7) in sets[4]
        day = (dom or dow) if both else (dom and dow)
        return t.minute in sets[0] and t.hour in sets[1] and t.month in sets[3] and day

    return fires


def brute_force(ws: list[Window], start: datetime) -> list[bool]:
    """held, minute by minute, for DAYS days from `start`."""
    origin = start - timedelta(minutes=BACK)
    total = BACK + DAYS * 24 * 60 + 1
    minutes = [origin + timedelta(minutes=i) for i in range(total)]
    actives = []
    for w in ws:
        fires = matcher(w.schedule)
        counts = [0, *accumulate(1 if fires(t) else 0 for t in minutes)]  # counts[i]: fires before minute i
        actives.append([counts[i + 1] - counts[max(0, i + 1 - w.minutes)] > 0 for i in range(BACK, total)])
    held = []
    for i in range(total - BACK):
        deny = any(a[i] for w, a in zip(ws, actives) if w.kind is WindowKind.DENY)
        allows = [a[i] for w, a in zip(ws, actives) if w.kind is WindowKind.ALLOW]
        held.append(deny or (bool(allows) and not any(allows)))
    return held


@settings(max_examples=40, deadline=None)
@given(spec=windows, at=instants)
def test_held_and_until_agree_with_the_minute_by_minute_truth(spec, at):
    ws = [Window(i, kind, schedule, minutes) for i, (kind, schedule, minutes) in enumerate(spec)]
    start = at.replace(second=0, microsecond=0)
    truth = brute_force(ws, start)
    got = hold(ws, "desk-a", ["settings.profit_sharing.rate"], at)
    assert (got is not None) == truth[0], (spec, at)
    if got is None:
        return
    first_free = next((i for i, h in enumerate(truth) if not h), None)
    if first_free is None:  # held for all 8 days: until is later, or beyond the look-ahead
        assert got.until is None or got.until > start + timedelta(days=DAYS), (spec, at, got)
    else:
        assert got.until == start + timedelta(minutes=first_free), (spec, at, got)
    assert 0 <= got.window < len(ws)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_deny_beats_an_active_allow_and_the_window_named_is_the_deny():
    ws = [Window(0, WindowKind.ALLOW, "0 0 * * *", 24 * 60), Window(1, WindowKind.DENY, "0 7 * * *", 60)]
    got = hold(ws, "desk-a", ["symbols"], utc("2026-12-08T07:59:59Z"))
    assert (got.until, got.window) == (utc("2026-12-08T08:00:00Z"), 1)
    assert hold(ws, "desk-a", ["symbols"], utc("2026-12-08T08:00:00Z")) is None


def test_a_window_across_midnight_and_a_leader_held_until_every_path_is_free():
    ws = [Window(0, WindowKind.DENY, "0 23 * * *", 120, paths=("followers",)),
          Window(1, WindowKind.DENY, "30 0 * * *", 60, paths=("settings.profit_sharing",), leaders=("desk-*",))]
    got = hold(ws, "desk-a", ["settings.profit_sharing.rate", "followers"], utc("2026-12-07T23:45:00Z"))
    assert (got.until, got.window) == (utc("2026-12-08T01:30:00Z"), 0)
    assert hold(ws, "other", ["settings.profit_sharing.rate"], utc("2026-12-08T00:45:00Z")) is None


def test_a_window_always_active_holds_without_an_until():
    got = hold([Window(0, WindowKind.DENY, "* * * * *", 1)], "a", ["symbols"], utc("2026-12-08T00:00:00Z"))
    assert got.until is None and "further than leaderctl looks ahead" in got.line()
