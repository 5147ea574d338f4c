"""The plan digest: same changes, removals and problems => same digest; anything else differs."""
from __future__ import annotations

import hashlib
import json

from reconciler.github.digest import canonical_plan, plan_digest
from reconciler.model import Change, LeaderPlan, Plan, Problem


def _plan(*leaders, fingerprint="f1", paths=("leaders/",)):
    return Plan(leaders=list(leaders), config_fingerprint=fingerprint, paths=paths)


def _lp(name="desk", changes=(), removals=(), problems=(), status="changes", live="live-1"):
    return LeaderPlan(name=name, status=status, changes=list(changes), follower_removals=tuple(removals),
                      problems=list(problems), body={"secret": "x"}, live_fingerprint=live)


RATE = Change("settings.profit_sharing.rate", "profitRate", "update", "0.1", "0.12")
ADD = Change("symbols", "symbolIds", "add", None, "SOL-SWAP-USDT")
DROP = Change("symbols", "symbolIds", "remove", "ADA-SWAP-USDT", None)


def test_the_digest_is_sha256_of_the_canonical_plan_json():
    p = _plan(_lp(changes=[RATE], removals=[5]))
    canonical = json.dumps(canonical_plan(p), sort_keys=True, separators=(",", ":"))
    assert plan_digest(p) == hashlib.sha256(canonical.encode()).hexdigest()
    assert canonical == (
        '{"leaders":[{"changes":[{"action":"update","after":"0.12","before":"0.1","field":"profitRate",'
        '"path":"settings.profit_sharing.rate"}],"follower_removals":[5],"name":"desk","problems":[],"status":"changes"}]}'
    )


def test_order_times_fingerprints_and_apply_bodies_do_not_count():
    a = _plan(_lp("a", changes=[RATE, ADD, DROP], removals=[3, 1]), _lp("b", status="in_sync"))
    b = _plan(_lp("b", status="in_sync", live="other"), _lp("a", changes=[DROP, ADD, RATE], removals=[1, 3], live="x"),
              fingerprint="f2", paths=("elsewhere/",))
    assert plan_digest(a) == plan_digest(b)


def test_every_difference_in_what_would_happen_counts():
    base = _plan(_lp(changes=[RATE], removals=[5]))
    different = [
        _plan(_lp(changes=[Change(RATE.path, RATE.field, "update", "0.1", "0.13")], removals=[5])),
        _plan(_lp(changes=[Change(RATE.path, RATE.field, "update", "0.11", "0.12")], removals=[5])),
        _plan(_lp(changes=[RATE], removals=[6])),
        _plan(_lp(changes=[RATE])),
        _plan(_lp(changes=[RATE, ADD], removals=[5])),
        _plan(_lp(changes=[RATE], removals=[5], problems=[Problem("pair not available", -32090)], status="blocked")),
        _plan(_lp("other", changes=[RATE], removals=[5])),
        _plan(_lp(changes=[RATE], removals=[5]), _lp("b", status="in_sync")),
    ]
    digests = {plan_digest(p) for p in different}
    assert len(digests) == len(different) and plan_digest(base) not in digests
    assert plan_digest(_plan(_lp(problems=[Problem("x", 1)]))) != plan_digest(_plan(_lp(problems=[Problem("x", 2)])))
