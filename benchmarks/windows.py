#!/usr/bin/env python3
"""How long the change windows take per leader (docs/contract.md §10): 500 leaders, the
example policy's settlement windows plus an allow window, at instants inside and outside them.

    .venv/bin/python benchmarks/windows.py [--leaders 500] [--rounds 5]

Prints, per instant, the time per leader of `windows.hold_plan` (leaders sharing the same
governing windows share one evaluation, as in a real run) and of `windows.hold` alone for
every leader (no sharing: the cost of one evaluation).
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

from reconciler.model import Change, LeaderPlan, LeaderStatus, Plan, Policy, Window
from reconciler.spec import WindowKind
from reconciler.windows import hold, hold_plan

WINDOWS = (
    Window(0, WindowKind.DENY, "0 7 * * *", 60, paths=("settings.profit_sharing",)),
    Window(1, WindowKind.DENY, "0 7 * * 1", 60),
    Window(2, WindowKind.DENY, "0 23 * * 0", 60, paths=("settings.profit_sharing",), leaders=("desk-1*",)),
    Window(3, WindowKind.ALLOW, "0 0 * * *", 22 * 60, paths=("followers",)),
)
INSTANTS = {"inside the daily deny": "2026-12-08T07:30:00Z", "Monday 07:30": "2026-12-07T07:30:00Z",
            "outside every window": "2026-12-08T12:00:00Z", "followers outside the allow": "2026-12-08T22:30:00Z"}


def plan(n: int) -> Plan:
    change = Change("settings.profit_sharing.rate", "profitRate", "update", 1, 2)
    return Plan([LeaderPlan(f"desk-{i}", LeaderStatus.CHANGES, [change], follower_removals=(1,) if i % 2 else ())
                 for i in range(n)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leaders", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    policy = Policy(windows=WINDOWS)
    hold(WINDOWS, "warm-up", ["symbols"], datetime.now(timezone.utc))  # imports cronsim
    print(f"windows: {args.leaders} leaders, {len(WINDOWS)} windows, median of {args.rounds} rounds")
    for label, text in INSTANTS.items():
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        shared, alone = [], []
        for _ in range(args.rounds):
            p = plan(args.leaders)
            t = time.perf_counter()
            hold_plan(p, policy, at)
            shared.append(time.perf_counter() - t)
            t = time.perf_counter()
            for lp in p.leaders:
                hold(WINDOWS, lp.name, lp.touches, at)
            alone.append(time.perf_counter() - t)
        held = sum(lp.held is not None for lp in p.leaders)
        per = [statistics.median(x) / args.leaders * 1e6 for x in (shared, alone)]
        print(f"  {label:30s} held {held:4d}/{args.leaders}: hold_plan {per[0]:7.1f} us/leader "
              f"(total {statistics.median(shared) * 1e3:6.1f} ms); every leader evaluated alone {per[1]:7.1f} us/leader")


if __name__ == "__main__":
    main()
