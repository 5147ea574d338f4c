"""The `policy:` section (docs/contract.md §10): found, checked, built, and leaders checked against it.

The JSON Schema (generated from `spec`) has already checked its shape when these run:
here are the rules a schema cannot express (min above max, a cron schedule the library
refuses, a duration outside 1m..7d), the one-policy-per-config-set rule, and the limits
on each merged leader, located where the value was written (leader or profile) and
naming where the limit is.
"""
from __future__ import annotations

from reconciler import spec
from reconciler.errors import ConfigIssue
from reconciler.model import Limit, Location, Policy, Window
from reconciler.profiles import Merged, lookup
from reconciler.spec import RULE
from reconciler.yamlload import Document

ROOT = ("policy",)


def find(docs: list[Document]) -> tuple[Document | None, list[ConfigIssue]]:
    """The document holding the policy; a second one is an error at its `policy` key."""
    found, issues = None, []
    for doc in docs:
        if not isinstance(doc.data, dict) or "policy" not in doc.data:
            continue
        if found is None:
            found = doc
            continue
        first = Location(found.file, *found.key_at(ROOT))
        issues.append(doc.issue(ROOT, RULE["policy_unique"].say(first=first), at_key=True))
    return found, issues


def _data(doc: Document) -> dict:
    data = doc.data.get("policy")
    return data if isinstance(data, dict) else {}


def check(doc: Document, reported: set[str] = frozenset()) -> list[ConfigIssue]:
    """The policy's own rules beyond the schema, on each limit and window whose shape is
    valid (`reported`: dotted paths the schema already reported)."""
    data = _data(doc) if isinstance(doc.data, dict) else {}

    def valid(prefix: str) -> bool:
        return not any(r == prefix or r.startswith(prefix + ".") or r.startswith(prefix + "[") for r in reported)

    if not valid("policy.limits") and not isinstance(data.get("limits"), dict):
        return []
    issues = []
    for path, bounds in (data.get("limits") or {}).items() if isinstance(data.get("limits"), dict) else ():
        if not valid(f"policy.limits.{path}") or not any(s.path == path for s in spec.LIMITABLE):
            continue
        setting = _setting(path)
        if "min" in bounds and "max" in bounds:
            low, high = setting.codec.from_yaml(bounds["min"]), setting.codec.from_yaml(bounds["max"])
            if low > high:
                issues.append(doc.issue(ROOT + ("limits", path, "min"), RULE["limit_min_above_max"].say(
                    low=spec.value_text(setting, low), high=spec.value_text(setting, high))))
    windows = data.get("windows") if isinstance(data.get("windows"), list) else []
    for i, window in enumerate(windows):
        at = ROOT + ("windows", i)
        if valid(f"policy.windows[{i}].schedule") and isinstance(window.get("schedule"), str):
            from reconciler.windows import schedule_problem

            why = schedule_problem(window["schedule"])
            if why:
                issues.append(doc.issue(at + ("schedule",), RULE["window_schedule"].say(schedule=window["schedule"], why=why)))
        minutes = spec.duration_minutes(window.get("duration"))
        low, high = spec.DURATION_MINUTES
        if valid(f"policy.windows[{i}].duration") and minutes is not None and not low <= minutes <= high:
            issues.append(doc.issue(at + ("duration",), RULE["window_duration"].say(text=window["duration"])))
    return issues


def _setting(path: str) -> spec.Setting:
    return next(s for s in spec.LIMITABLE if s.path == path)


def build(doc: Document | None) -> Policy:
    """The checked policy as the model (no policy: the defaults)."""
    if doc is None:
        return Policy()
    data = _data(doc)

    def where(*path) -> Location:
        line, col = doc.key_at(ROOT + path)
        return Location(doc.file, line, col)

    limits = []
    for path, bounds in (data.get("limits") or {}).items():
        codec = _setting(path).codec
        one_of = bounds.get("one_of")
        limits.append(Limit(
            path,
            minimum=codec.from_yaml(bounds["min"]) if "min" in bounds else None,
            maximum=codec.from_yaml(bounds["max"]) if "max" in bounds else None,
            one_of=tuple(codec.from_yaml(v) for v in one_of) if one_of is not None else None,
            location=where("limits", path),
        ))
    windows = tuple(
        Window(i, spec.WindowKind(w["kind"]), " ".join(w["schedule"].split()), spec.duration_minutes(w["duration"]),
               tuple(w.get("paths") or ()), tuple(w.get("leaders") or ()), where("windows", i))
        for i, w in enumerate(data.get("windows") or ())
    )
    removals = data.get("max_follower_removals", spec.DEFAULT_MAX_FOLLOWER_REMOVALS)
    return Policy(tuple(limits), windows, removals, where())


def check_leader(policy: Policy, merged: Merged) -> list[ConfigIssue]:
    """The limits on one merged (and otherwise valid) leader; ignored paths are not checked."""
    issues = []
    ignored = merged.data.get("ignore") if isinstance(merged.data.get("ignore"), list) else []
    for limit in policy.limits:
        if spec.covers(ignored, limit.path):
            continue
        setting = _setting(limit.path)
        rel = tuple(limit.path.split("."))
        raw = lookup(merged.data, rel)
        if raw is None or setting.when_off and lookup(merged.data, tuple(spec.BY_ATTR[setting.switch].path.split("."))) is not True:
            continue
        value = setting.codec.from_yaml(raw)
        message = _outside(limit, setting, value)
        if message:
            layer, path = merged.source(rel)
            issues.append(layer.doc.issue(path, message))
    return issues


def _outside(limit: Limit, setting: spec.Setting, value) -> str | None:
    shown = spec.value_text(setting, value)
    if limit.maximum is not None and value > limit.maximum:
        return RULE["limit_max"].say(value=shown, bound=spec.value_text(setting, limit.maximum), where=limit.location)
    if limit.minimum is not None and value < limit.minimum:
        return RULE["limit_min"].say(value=shown, bound=spec.value_text(setting, limit.minimum), where=limit.location)
    if limit.one_of is not None and value not in limit.one_of:
        bounds = ", ".join(spec.value_text(setting, v) for v in limit.one_of)
        return RULE["limit_one_of"].say(value=shown, bounds=bounds, where=limit.location)
    return None

