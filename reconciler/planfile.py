"""Saved plans: `plan --out FILE` and `apply --plan FILE`.

A saved plan holds what was decided and digests of what it was decided from;
never a key, secret or invite code. It is bound to where it may be applied: the
endpoint (or "sandbox"), per leader the account (its API key as a hash keyed with
its API secret) and the sensitive values its PUT carries (the invite code, keyed
the same way; reconciler/binding.py says why that key). Another endpoint, other
credentials or another code at apply time: "stale plan", nothing sent. Before anything is read from the exchange,
a plan file is checked against its own schema: a file that is not exactly what
`plan --out` writes is refused. Applying re-reads the config and the live state
and refuses when either moved ("stale plan"), so what is applied is exactly what
was reviewed, for exactly the leaders the file names.
"""
from __future__ import annotations

import json
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.errors import PlanFileError, StalePlanError
from reconciler.model import FORMAT_VERSION, Action, Desired, LeaderPlan, LeaderStatus, Plan, version_problem
from reconciler.redact import mask_tree
from reconciler.spec import NAME_PATTERN

KIND = "leaderctl-plan"
_HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_HEX_OR_NULL = {"oneOf": [_HEX, {"type": "null"}]}
_VALUE = {"type": ["string", "number", "boolean", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _closed(required, properties: dict) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}


def _schema() -> dict:
    """The plan file's JSON Schema, from the model: its keys are what `Plan.to_dict(saved=True)`
    writes, its enums the model's, a leader's name the spec's pattern."""
    leader_keys = list(LeaderPlan("x", LeaderStatus.IN_SYNC).to_dict(saved=True))
    leader = _closed(leader_keys, {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "status": {"enum": [s.value for s in LeaderStatus]},
        "changes": {"type": "array", "items": _closed(["path", "field", "action"], {
            "path": {"type": "string"}, "field": {"type": "string"},
            "action": {"enum": [a.value for a in Action]}, "before": _VALUE, "after": _VALUE})},
        "follower_removals": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "problems": {"type": "array", "items": _closed(["code", "message"], {
            "code": {"type": ["integer", "null"]}, "message": {"type": "string"}})},
        "ignored": _STRINGS,
        "live_fingerprint": _HEX_OR_NULL,
        "account": _HEX_OR_NULL,
        "sealed": _HEX_OR_NULL,
    })
    top_keys = ["kind", *Plan(leaders=[]).to_dict(saved=True)]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **_closed(top_keys, {
        "kind": {"const": KIND},
        "format_version": {"const": FORMAT_VERSION},
        "paths": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "config_fingerprint": _HEX,
        "endpoint": {"type": "string", "minLength": 1, "maxLength": 2048},
        "leaders": {"type": "array", "minItems": 1, "items": leader},
    })}


SCHEMA = _schema()
REMEDY = "create one with `leaderctl plan --out FILE`"


def config_fingerprint(desired: Desired) -> str:
    """What the plan was made from: the config files as they were read, not read again."""
    return desired.fingerprint


def save(plan: Plan, path: Path) -> None:
    doc = {"kind": KIND, **plan.to_dict(saved=True)}
    for d in doc["leaders"]:
        d["problems"] = mask_tree(d["problems"])  # exchange text: no secret in any spelling
    try:
        atomic_write(path, json.dumps(doc, indent=2) + "\n")
    except OSError as e:
        raise PlanFileError(f"{path}: cannot write the plan file: {e.strerror or e}") from None


def load(path: Path) -> Plan:
    """The saved plan, checked against SCHEMA; PlanFileError (one line) otherwise."""
    if Path(path).exists() and not Path(path).is_file():  # a FIFO or a device: reading could block forever
        raise PlanFileError(f"{path}: not a regular file: {REMEDY}")
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_constant)
    except OSError as e:
        raise PlanFileError(f"{path}: cannot read plan file: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PlanFileError(f"{path}: not a leaderctl plan file (not JSON): {REMEDY}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise PlanFileError(f"{path}: not a leaderctl plan file: {REMEDY}")
    problem = version_problem(doc)
    if problem:
        raise PlanFileError(f"{path}: {problem}")
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        raise PlanFileError(f"{path}: not a plan file as `plan --out` writes it (at {where}: {_short(error.message)}): {REMEDY}")
    names = [lp["name"] for lp in doc["leaders"]]
    if len(set(names)) != len(names):
        raise PlanFileError(f"{path}: a leader is named twice in the plan file: {REMEDY}")
    for p in doc["paths"]:
        if not Path(p).exists():
            raise PlanFileError(f"{path}: the plan's config path {p!r} does not exist here: run apply in the directory where the plan was made")
    try:
        return Plan.from_dict(doc)
    except PlanFileError as e:
        raise PlanFileError(f"{path}: not a plan file as `plan --out` writes it (at {_short(str(e))}): {REMEDY}") from None


def _where(endpoint: str | None) -> str:
    if endpoint == "sandbox":
        return "the embedded sandbox (--sandbox)"
    return repr(_short(endpoint or "an unknown endpoint"))


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


def check_fresh(saved: Plan, desired: Desired, plan: Plan) -> None:
    """Raise StalePlanError unless `plan` (made now) is the saved plan, leader for leader."""
    if saved.config_fingerprint != config_fingerprint(desired):
        raise StalePlanError("stale plan: the config files changed since the plan was made: run `leaderctl plan --out FILE` again")
    if (saved.endpoint or "") != (plan.endpoint or ""):
        raise StalePlanError(
            f"stale plan: it was made against {_where(saved.endpoint)}, this run uses {_where(plan.endpoint)}: "
            "apply it where it was made, or run `leaderctl plan --out FILE` against this endpoint"
        )
    now = {lp.name: lp for lp in plan.leaders}
    reasons = [reason for old in saved.leaders if (reason := _stale(old, now.get(old.name)))]
    if reasons:
        raise StalePlanError("stale plan: " + "; ".join(reasons) + ": run `leaderctl plan --out FILE` again")


def _stale(old: LeaderPlan, new: LeaderPlan | None) -> str | None:
    """Why one saved leader's plan is not the one made now; None when it is."""
    name = old.name
    if new is None:
        return f"leader {name} is no longer in the config"
    if old.account != new.account:
        return f"leader {name}: the credentials are not those of the account the plan was made with"
    if old.sealed != new.sealed:
        return f"leader {name}: the invite code is not the one the plan was made with"
    if old.live_fingerprint != new.live_fingerprint:
        return f"leader {name}: the live state changed on the exchange"
    before, fresh = old.to_dict(saved=True), new.to_dict(saved=True)  # `held` is for apply to decide anew
    differs = [k for k in fresh if before.get(k) != fresh[k]]
    return f"leader {name}: the plan differs in {', '.join(differs)}" if differs else None
