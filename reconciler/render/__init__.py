"""Renderers: the same Plan or Result as text (terminals), markdown (PR comments) or JSON (machines)."""
from __future__ import annotations

from importlib import import_module

_MODULES = {"json": "as_json", "markdown": "as_markdown", "text": "as_text"}


def _renderer(fmt: str):
    """The renderer module of one format, imported only when used."""
    return import_module(f"reconciler.render.{_MODULES[fmt]}")


def render_plan(plan, fmt: str, *, color: bool = False) -> str:
    module = _renderer(fmt)
    return module.plan(plan, color=color) if fmt == "text" else module.plan(plan)


def render_result(result, fmt: str, *, color: bool = False) -> str:
    module = _renderer(fmt)
    return module.result(result, color=color) if fmt == "text" else module.result(result)


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
