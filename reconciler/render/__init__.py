"""Renderers: the same Plan or Result as text (terminals), markdown (PR comments) or JSON (machines)."""
from __future__ import annotations


def render_plan(plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        from reconciler.render import as_json

        return as_json.plan(plan)
    if fmt == "markdown":
        from reconciler.render import as_markdown

        return as_markdown.plan(plan)
    from reconciler.render import as_text

    return as_text.plan(plan, color=color)


def render_result(result, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        from reconciler.render import as_json

        return as_json.result(result)
    if fmt == "markdown":
        from reconciler.render import as_markdown

        return as_markdown.result(result)
    from reconciler.render import as_text

    return as_text.result(result, color=color)


def summary(plan) -> dict:
    counts = {"leaders": len(plan.leaders), "changes": 0, "in_sync": 0, "blocked": 0, "error": 0}
    for lp in plan.leaders:
        counts[lp.status] += 1
    return counts


def result_summary(result) -> dict:
    counts = {"leaders": len(result.leaders), "applied": 0, "in_sync": 0, "partial": 0, "failed": 0, "blocked": 0}
    for r in result.leaders:
        counts[r.result] += 1
    return counts
