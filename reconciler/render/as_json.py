"""Plan and apply reports as JSON (CONTRACT.md section 4)."""
from __future__ import annotations

import json

from reconciler.model import Action
from reconciler.redact import mask_tree
from reconciler.render import as_json_value, result_summary, summary

FORMAT_VERSION = "1"


def change_dict(c, explain: bool = False) -> dict:
    out = {"path": c.path, "field": c.field, "action": c.action.value}
    if c.action is not Action.ADD:
        out["before"] = as_json_value(c, c.before)
    if c.action is not Action.REMOVE:
        out["after"] = as_json_value(c, c.after)
    if explain and c.source is not None:
        out["source"] = {"file": c.source.file, "line": c.source.line, "col": c.source.col, "from": c.source.origin}
    return out


def leader_dict(lp, explain: bool = False) -> dict:
    out = {
        "name": lp.name,
        "status": lp.status.value,
        "changes": [change_dict(c, explain) for c in lp.changes],
        "follower_removals": list(lp.follower_removals),
        "problems": [{"code": p.code, "message": p.message} for p in lp.problems],
        "ignored": list(lp.ignored),
    }
    if lp.held is not None:  # only when the policy's windows hold it (docs/contract.md §10)
        out["held"] = {"until": lp.held.until.strftime("%Y-%m-%dT%H:%M:%SZ") if lp.held.until else None, "window": lp.held.window}
    return out


def plan_dict(plan, explain: bool = False) -> dict:
    return {"format_version": FORMAT_VERSION, "leaders": [leader_dict(lp, explain) for lp in plan.leaders], "summary": summary(plan)}


def plan(plan, color: bool = False, explain: bool = False) -> str:
    return json.dumps(mask_tree(plan_dict(plan, explain)), indent=2) + "\n"


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
        d = leader_dict(r.plan)
        d["result"] = r.result.value
        d["follower_results"] = {str(k): v.value for k, v in r.removals.items()}
        d["messages"] = list(r.messages)
        leaders.append(d)
    counts = summary(Plan(leaders=[r.plan for r in result.leaders]))
    counts["results"] = result_summary(result)
    doc = {"format_version": FORMAT_VERSION, "leaders": leaders, "summary": counts}
    if result.interrupted:
        doc["interrupted"] = True
    if result.ignored_windows:
        doc["ignored_windows"] = True
    return json.dumps(mask_tree(doc), indent=2) + "\n"
