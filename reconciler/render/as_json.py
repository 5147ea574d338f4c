"""Plan and apply reports as JSON (CONTRACT.md section 4)."""
from __future__ import annotations

import json

from reconciler.render import result_summary, summary

FORMAT_VERSION = "1"


def change_dict(c) -> dict:
    out = {"path": c.path, "field": c.field, "action": c.action}
    if c.action != "add":
        out["before"] = c.before
    if c.action != "remove":
        out["after"] = c.after
    return out


def leader_dict(lp) -> dict:
    return {
        "name": lp.name,
        "status": lp.status,
        "changes": [change_dict(c) for c in lp.changes],
        "follower_removals": list(lp.follower_removals),
        "problems": [{"code": p.code, "message": p.message} for p in lp.problems],
    }


def plan_dict(plan) -> dict:
    return {"format_version": FORMAT_VERSION, "leaders": [leader_dict(lp) for lp in plan.leaders], "summary": summary(plan)}


def plan(plan) -> str:
    return json.dumps(plan_dict(plan), indent=2) + "\n"


def result(result) -> str:
    from reconciler.model import Plan

    leaders = []
    for r in result.leaders:
        d = leader_dict(r.plan)
        d["result"] = r.result
        d["follower_results"] = {str(k): v for k, v in r.removals.items()}
        d["messages"] = list(r.messages)
        leaders.append(d)
    counts = summary(Plan(leaders=[r.plan for r in result.leaders]))
    counts["results"] = result_summary(result)
    return json.dumps({"format_version": FORMAT_VERSION, "leaders": leaders, "summary": counts}, indent=2) + "\n"
