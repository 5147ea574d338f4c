"""Config files -> the desired model.

Reads every file, runs the schema, then the rules a schema cannot express, and
only when everything passed builds `Desired`. All issues of all files are
collected and raised together, so one run shows every mistake.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reconciler import schema, yamlload
from reconciler.errors import ConfigError, ConfigIssue
from reconciler.model import Credentials, Desired, LeaderSpec, Location, Settings

MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the schema's maximum

CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ebef]")


def expand(paths: list[str | Path]) -> tuple[list[Path], list[ConfigIssue]]:
    """Files named, plus every *.yaml/*.yml below each directory, sorted."""
    files: list[Path] = []
    issues: list[ConfigIssue] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.suffix in (".yaml", ".yml") and f.is_file() and not _hidden(f.relative_to(p))
            )
            if not found:
                issues.append(ConfigIssue(str(p), 1, 1, "", "no *.yaml or *.yml files in this directory"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            issues.append(ConfigIssue(str(p), 1, 1, "", "no such file or directory"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, issues


def _hidden(relative: Path) -> bool:
    """.github/, .pre-commit-config.yaml and the like are not leader configs."""
    return any(part.startswith(".") for part in relative.parts)


def load_desired(paths: list[str | Path]) -> Desired:
    """Read and check every config file; raise ConfigError with every issue found."""
    files, issues = expand(paths)
    leaders: dict[str, LeaderSpec] = {}
    first_seen: dict[str, Location] = {}
    for f in files:
        doc, found = yamlload.load(f)
        if doc.data is not None or not found:
            # The file parsed (maybe with a duplicate key or a bad number): check the
            # rest of it too, so one run shows every mistake, but say nothing more
            # where the loader already reported one.
            reported = {(i.line, i.col) for i in found}
            found = found + [i for i in _check_document(doc) if (i.line, i.col) not in reported]
        issues.extend(found)
        names = doc.data.get("leaders") if isinstance(doc.data, dict) else None
        for name in names if isinstance(names, dict) else ():
            if name in first_seen:
                issues.append(doc.issue(("leaders", name), f"leader {name!r} is already defined at {first_seen[name]}: leader names must be unique across files", at_key=True))
            else:
                first_seen[name] = Location(doc.file, *doc.key_at(("leaders", name)))
        if not found:
            leaders.update(_build(doc))
    if issues:
        raise ConfigError(issues)
    return Desired(leaders=leaders, files=tuple(files))


def _check_document(doc: yamlload.Document) -> list[ConfigIssue]:
    if not isinstance(doc.data, dict):
        return [doc.issue((), f"expected a mapping with `version: 1` and `leaders:` at the top, got {schema._yaml_type(doc.data)}")]
    issues = schema.check(doc)
    leaders = doc.data.get("leaders")
    if isinstance(leaders, dict):
        for name, leader in leaders.items():
            if isinstance(leader, dict):
                issues.extend(_rules(doc, ("leaders", name), leader))
    return issues


def _get(data, *keys):
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def parse_timestamp(value) -> int | None:
    """RFC 3339 with a zone, or epoch millis -> epoch millis; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if re.match(r"....-..-..[Tt ]24", value):  # RFC 3339 hours are 00-23; Python 3.14 reads 24:00
            return None
        try:
            dt = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        except ValueError:
            return None
        if dt.tzinfo is None:
            return None
        return int(dt.timestamp() * 1000) if dt.microsecond == 0 else round(dt.timestamp() * 1000)
    return None


def _rules(doc: yamlload.Document, base: tuple, leader: dict) -> list[ConfigIssue]:
    """The documented rules a JSON Schema cannot express."""
    issues = []
    cooldown = _get(leader, "settings", "cooldown")
    if isinstance(cooldown, dict):
        times = {}
        for key in ("start", "end"):
            raw = cooldown.get(key)
            if isinstance(raw, str) and schema_ok_timestamp(raw):
                ms = parse_timestamp(raw)
                if ms is None:
                    issues.append(doc.issue(base + ("settings", "cooldown", key), f"{raw!r} is not a valid date-time"))
                elif not 0 <= ms <= MAX_EPOCH_MS:
                    # the same range the schema allows for epoch millis
                    issues.append(doc.issue(base + ("settings", "cooldown", key), f"{raw!r} is out of range: must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"))
                    ms = None
                times[key] = ms
            elif isinstance(raw, int) and not isinstance(raw, bool):
                times[key] = raw
        start, end = times.get("start"), times.get("end")
        if cooldown.get("enabled") is True and end is not None and end == 0 and isinstance(cooldown.get("end"), str):
            issues.append(doc.issue(base + ("settings", "cooldown", "end"), "must not be 0 (1970-01-01T00:00:00Z) when cooldown is enabled"))
        if start is not None and end is not None and end < start:
            issues.append(doc.issue(base + ("settings", "cooldown", "end"), "the cool-down end must not be before its start"))
    invite = _get(leader, "settings", "invite")
    if isinstance(invite, dict):
        code = invite.get("code")
        if isinstance(code, str) and CHINESE.search(code):
            issues.append(doc.issue(base + ("settings", "invite", "code"), "the invite code must not contain Chinese characters"))
        if invite.get("required") is False:
            for key in ("code", "code_env"):
                if key in invite:
                    issues.append(doc.issue(base + ("settings", "invite", key), "an invite code is only used with `required: true`: remove it or set required: true", at_key=True))
    return issues


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def schema_ok_timestamp(text: str) -> bool:
    return _RFC3339.fullmatch(text) is not None


def default_env(name: str, what: str) -> str:
    return f"LEADERCTL_{re.sub(r'[^A-Z0-9]', '_', name.upper())}_{what}"


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _build(doc: yamlload.Document) -> dict[str, LeaderSpec]:
    out = {}
    by_leader: dict[str, dict[str, Location]] = {}  # one pass over the positions, not one per leader
    for path, (line, col) in doc.values.items():
        if len(path) >= 2 and path[0] == "leaders":
            by_leader.setdefault(path[1], {})[yamlload.dotted(path)] = Location(doc.file, line, col)
    for name, leader in doc.data["leaders"].items():
        base = ("leaders", name)
        s = leader["settings"]
        cd = s["cooldown"]
        ps, fm, inv = s["profit_sharing"], s["follower_minimums"], s["invite"]
        ref = s.get("referral_sharing")
        enabled = cd["enabled"]
        settings = Settings(
            cooldown_enabled=enabled,
            cooldown_start=parse_timestamp(cd["start"]) if enabled and "start" in cd else None,
            cooldown_end=parse_timestamp(cd["end"]) if enabled else None,
            position_type=s["position_type"],
            trade_protection=s["trade_protection"],
            profit_period=ps["period"],
            profit_rate=_dec(ps["rate"]),
            follower_min_asset=_dec(fm["asset"]),
            follower_min_fixed_amount=_dec(fm["fixed_amount"]),
            follower_min_fixed_rate=_dec(fm["fixed_rate"]),
            invite_required=inv["required"],
            invite_scope=inv["scope"],
            invite_code=inv.get("code"),
            referral_enabled=ref["enabled"] if ref else None,
            referral_rate=_dec(ref.get("rate")) if ref else None,
        )
        creds = leader.get("credentials") or {}
        locations = by_leader.get(name, {})
        line, col = doc.key_at(base)
        out[name] = LeaderSpec(
            name=name,
            credentials=Credentials(
                api_key_env=creds.get("api_key_env") or default_env(name, "API_KEY"),
                api_secret_env=creds.get("api_secret_env") or default_env(name, "API_SECRET"),
            ),
            settings=settings,
            symbols=tuple(leader["symbols"]),
            follower_removals=tuple((leader.get("followers") or {}).get("remove") or ()),
            invite_code_env=inv.get("code_env"),
            location=Location(doc.file, line, col),
            locations=locations,
        )
    return out
