"""Plan and apply reports as JSON (docs/contract.md, "Plan JSON"): the plan's own
`to_dict` (reconciler/model.py), every secret masked on the way out."""
from __future__ import annotations

import json

from reconciler.model import FORMAT_VERSION, Change, LeaderPlan
from reconciler.redact import mask_tree
from reconciler.render import result_summary

__all__ = ["FORMAT_VERSION", "change_dict", "leader_dict", "plan_dict", "plan", "result"]


def change_dict(c: Change, explain: bool = False) -> dict:
    return c.to_dict(explain)


def leader_dict(lp: LeaderPlan, explain: bool = False) -> dict:
    return lp.to_dict(explain)


def plan_dict(plan, explain: bool = False) -> dict:
    return plan.to_dict(explain)


def plan(plan, color: bool = False, explain: bool = False) -> str:
    return json.dumps(mask_tree(plan.to_dict(explain)), indent=2) + "\n"


def validation(desired=None, error=None) -> str:
    """`validate --format json`: valid (leaders, files, warnings), or every located issue
    (line and col 0: the issue is about the path itself)."""
    if error is not None:
        doc = {"format_version": FORMAT_VERSION, "valid": False,
               "issues": [{"file": i.file, "line": i.line, "col": i.col, "path": i.path, "message": i.message} for i in error.issues]}
    else:
        doc = {"format_version": FORMAT_VERSION, "valid": True, "leaders": sorted(desired.leaders),
               "files": [str(f) for f in desired.files], "warnings": list(desired.warnings)}
    return json.dumps(mask_tree(doc), indent=2) + "\n"


def result(result, color: bool = False) -> str:
    from reconciler.model import Plan

    leaders = []
    for r in result.leaders:
        d = r.plan.to_dict()
        d["result"] = r.result.value
        d["follower_results"] = {str(k): v.value for k, v in r.removals.items()}
        d["messages"] = list(r.messages)
        leaders.append(d)
    counts = Plan(leaders=[r.plan for r in result.leaders]).summary()
    counts["results"] = result_summary(result)
    doc = {"format_version": FORMAT_VERSION, "leaders": leaders, "summary": counts}
    if result.interrupted:
        doc["interrupted"] = True
    if result.ignored_windows:
        doc["ignored_windows"] = True
    return json.dumps(mask_tree(doc), indent=2) + "\n"
