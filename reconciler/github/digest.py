"""The plan digest: what a pull request's plan comment promises, and what apply checks.

sha256 over the canonical JSON of what the plan would do, field by field from
the plan JSON (CONTRACT section 4), with nothing that depends on when or where
it was made: per leader its name, status, changes (path, field, action, before,
after), follower removals and problems (code, message). Leaders, changes,
removals and problems are sorted, so the same plan always gives the same digest
whatever the order of files, leaders or symbols in the config. Invite codes are
"(sensitive)" in the plan JSON, so a leader whose PUT carries one also has
`sealed`: the code as a hash keyed with the leader's API secret (reconciler/binding.py
says why that key), so another code at apply time is another digest, and the digest
reveals nothing about the code. (Leaders without sensitive values have no `sealed`
key: their digests are what they always were.)
"""
from __future__ import annotations

import hashlib
import json


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def canonical_plan(plan) -> dict:
    leaders = []
    sealed = {lp.name: getattr(lp, "sealed", None) for lp in plan.leaders}
    for lp in plan.to_dict()["leaders"]:
        changes = [
            {k: c.get(k) for k in ("path", "field", "action", "before", "after")}
            for c in lp.get("changes", [])
        ]
        problems = [{"code": p.get("code"), "message": p.get("message")} for p in lp.get("problems", [])]
        entry = {
            "name": lp["name"],
            "status": str(lp["status"]),
            "changes": sorted(changes, key=_canonical),
            "follower_removals": sorted(lp.get("follower_removals", [])),
            "problems": sorted(problems, key=_canonical),
        }
        if sealed.get(lp["name"]) is not None:
            entry["sealed"] = sealed[lp["name"]]
        leaders.append(entry)
    return {"leaders": sorted(leaders, key=lambda lp: lp["name"])}


def plan_digest(plan) -> str:
    """Hex sha256 of the canonical plan: equal plans, equal digests."""
    return hashlib.sha256(_canonical(canonical_plan(plan)).encode("utf-8")).hexdigest()


def drift_digest(plan) -> str:
    """The digest of what drifted: the plan without follower removals (they are not drift,
    docs/contract.md §3), so editing `followers.remove` neither opens nor updates a drift issue."""
    from dataclasses import replace

    from reconciler.model import Plan

    return plan_digest(Plan([replace(lp, follower_removals=()) for lp in plan.leaders]))
