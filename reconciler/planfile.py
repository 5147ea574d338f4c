"""Saved plans: `plan --out FILE` and `apply --plan FILE`.

A saved plan holds what was decided and digests of what it was decided from;
never a key, secret or invite code. Applying it re-reads both and refuses when
either moved ("stale plan"), so what is applied is exactly what was reviewed.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from reconciler.errors import StalePlanError, UsageError
from reconciler.model import Desired, Plan
from reconciler.render.as_json import FORMAT_VERSION, leader_dict

KIND = "leaderctl-plan"


def config_fingerprint(desired: Desired) -> str:
    digest = hashlib.sha256()
    for f in sorted(desired.files, key=lambda p: str(p)):
        digest.update(str(f).encode() + b"\0" + hashlib.sha256(Path(f).read_bytes()).digest())
    return digest.hexdigest()


def save(plan: Plan, path: Path) -> None:
    leaders = []
    for lp in plan.leaders:
        d = leader_dict(lp)
        d["live_fingerprint"] = lp.live_fingerprint
        leaders.append(d)
    doc = {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "paths": list(plan.paths),
        "config_fingerprint": plan.config_fingerprint,
        "leaders": leaders,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> dict:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: cannot read plan file: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{path}: not a leaderctl plan file (not JSON): create one with `leaderctl plan --out FILE`") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND or not isinstance(doc.get("leaders"), list):
        raise UsageError(f"{path}: not a leaderctl plan file: create one with `leaderctl plan --out FILE`")
    if doc.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{path}: plan file format {doc.get('format_version')!r} is not supported by this leaderctl (expects {FORMAT_VERSION})")
    return doc


def check_fresh(saved: dict, desired: Desired, plan: Plan) -> None:
    """Raise StalePlanError unless `plan` (made now) is the saved plan."""
    if saved.get("config_fingerprint") != config_fingerprint(desired):
        raise StalePlanError("stale plan: the config files changed since the plan was made: run `leaderctl plan --out FILE` again")
    now = {lp.name: lp for lp in plan.leaders}
    reasons = []
    for old in saved["leaders"]:
        name = old.get("name")
        new = now.get(name)
        if new is None:
            reasons.append(f"leader {name} is no longer in the config")
            continue
        if old.get("live_fingerprint") != new.live_fingerprint:
            reasons.append(f"leader {name}: the live state changed on the exchange")
            continue
        fresh = leader_dict(new)
        stored = {k: old.get(k) for k in fresh}
        if stored != fresh:
            from deepdiff import DeepDiff

            diff = DeepDiff(stored, fresh, ignore_order=True, verbose_level=0)
            reasons.append(f"leader {name}: the plan differs ({', '.join(sorted(diff.affected_paths)[:5])})")
    if reasons:
        raise StalePlanError("stale plan: " + "; ".join(reasons) + ": run `leaderctl plan --out FILE` again")
