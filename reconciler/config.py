"""Config files -> the desired model.

1. every file is read (`yamlload`) and checked against the JSON Schema, where
   leaders that extend profiles (or ignore settings) may be partial;
2. profiles are resolved: each leader is merged from the profiles it extends
   (`profiles`), and the merged leader is checked against the full leader schema
   and the rules a schema cannot express (`spec.RULES`), every issue located at
   the line where the offending value was written, in the profile's file or the
   leader's;
3. rules across the whole config set (unique names, private credentials);
4. only when nothing was found: `Desired`, built by a loop over `spec.SETTINGS`.

All issues of all files are collected and raised together, so one run shows
every mistake.
"""
from __future__ import annotations

import gc
import hashlib
import re
from contextlib import contextmanager
from pathlib import Path

from reconciler import policy as policies
from reconciler import schema, spec, yamlload
from reconciler.errors import ConfigError, ConfigIssue
from reconciler.model import Credentials, Desired, LeaderSpec, Location, Settings
from reconciler.profiles import Kind, Layer, Merged, lookup, resolve
from reconciler.spec import RULE

SUFFIXES = (".yaml", ".yml")
LEADER = schema.LEADER  # the schema of one complete (merged) leader


def expand(paths: list[str | Path]) -> tuple[list[Path], list[ConfigIssue]]:
    """Files named, plus every *.yaml/*.yml (any case) below each directory, sorted. A path that
    cannot be read as a config has an issue without a position (line 0: `PATH: message`)."""
    files: list[Path] = []
    issues: list[ConfigIssue] = []
    for given in paths:
        p, named = Path(given), str(given)  # as given: `nosuch/` keeps its slash
        if p.is_dir():
            found, broken, special = _scan(p)
            issues += [ConfigIssue(str(b), 0, 0, "", "broken symbolic link: its target does not exist; fix or remove the link") for b in broken]
            issues += [ConfigIssue(str(f), 0, 0, "", f"{_not_regular(f)}: a config file must be a regular file") for f in special]
            if not found and not broken and not special:
                issues.append(ConfigIssue(named, 0, 0, "", "no *.yaml or *.yml files in this directory"))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():  # a FIFO, a device, a socket: reading it could block forever
            issues.append(ConfigIssue(named, 0, 0, "", f"{_not_regular(p)}: give a YAML file or a directory of them"))
        else:
            issues.append(ConfigIssue(named, 0, 0, "", "no such file or directory"))
    seen: set[tuple[int, int]] = set()
    unique = []
    for f in files:
        st = f.stat()
        if (st.st_dev, st.st_ino) not in seen:  # the same file named twice (or through a link)
            seen.add((st.st_dev, st.st_ino))
            unique.append(f)
    return unique, issues


def _scan(directory: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Config files below `directory` (hidden files and folders skipped), broken links, and
    *.yaml entries that are neither files nor directories (FIFOs, devices)."""
    found, broken, special = [], [], []
    for f in sorted(directory.rglob("*")):
        if f.suffix.lower() not in SUFFIXES or _hidden(f.relative_to(directory)):
            continue
        if f.is_file():
            found.append(f)
        elif f.is_symlink() and not f.exists():
            broken.append(f)
        elif f.exists() and not f.is_dir():  # a FIFO or device named *.yaml: never opened
            special.append(f)
    return found, broken, special


def _not_regular(p: Path) -> str:
    """What a path that exists but is neither a regular file nor a directory is, in words."""
    import stat

    try:
        mode = p.stat().st_mode
    except OSError:
        return "not a regular file"
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return kind if kind.startswith("not") else f"not a regular file but {kind}"


def _hidden(relative: Path) -> bool:
    """.github/, .pre-commit-config.yaml and the like are not leader configs."""
    return any(part.startswith(".") for part in relative.parts)


def default_env(name: str, what: str) -> str:
    return f"LEADERCTL_{re.sub(r'[^A-Z0-9]', '_', name.upper())}_{what}"


def load_desired(paths: list[str | Path], *, texts: dict[Path, bytes] | None = None) -> Desired:
    """Read, merge and check every config file; raise ConfigError with every issue found.

    `texts`: the bytes of some files as already read (or as they are to be written:
    `refresh` checks its edits before writing them)."""
    with _no_cyclic_gc():
        return _load_desired(paths, texts)


@contextmanager
def _no_cyclic_gc():
    """Loading makes millions of objects that all stay alive until the model is built and
    none of which form cycles: Python's cyclic collector, run every 700 allocations, walked
    all of them again and again (validate of 10,000 leaders: 4.5 of 6.3 s of CPU, and CPU
    growing as N^1.2). Reference counting still frees everything; the collector resumes after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _load_desired(paths, texts) -> Desired:
    files, issues = expand(paths)
    texts = texts or {}
    loaded = [yamlload.load(f, raw=texts.get(f)) for f in files]
    docs = []
    for doc, found in loaded:
        if doc.data is not None or not found:
            # The file parsed (maybe with a duplicate key or a bad number): check the
            # rest of it too, but say nothing more where the loader already reported.
            reported = {(i.line, i.col) for i in found}
            found = found + [i for i in _check_document(doc) if (i.line, i.col) not in reported]
        issues.extend(found)
        docs.append(doc)
    leaders, profiles, found = _layers(docs)
    issues += found
    policy = _policy(docs, issues)
    resolution = resolve(leaders, profiles)
    issues += [p.layer.doc.issue(p.path, p.message) for p in resolution.problems]
    for merged in resolution.merged.values():
        found = check_leader(merged)
        issues += found or (policies.check_leader(policy, merged) if policy is not None else [])
    issues += _check_credentials(resolution.merged)
    if not leaders and not issues and files:
        issues.append(ConfigIssue(str(files[0]), 1, 1, "", "no leaders in the config: define at least one under `leaders:`"))
    if issues:
        raise ConfigError(issues)
    unused = [p for name, p in profiles.items() if name not in resolution.used]
    warnings = tuple(f"warning: {_where(p, p.base)}: profile {p.name!r} is not extended by any leader" for p in unused)
    built = {name: build(m) for name, m in resolution.merged.items()}
    return Desired(leaders=built, files=tuple(files), warnings=warnings, fingerprint=_fingerprint(docs),
                   policy=policy or policies.build(None))


def _policy(docs, issues: list[ConfigIssue]):
    """The config set's policy, checked (its issues appended to `issues`); None when there
    is none or it is invalid (then leaders are not checked against its limits)."""
    doc, found = policies.find(docs)
    issues += found
    if doc is None:
        return None
    reported = {i.path for i in issues if i.file == doc.file and i.path.split(".")[0] == "policy"}
    found = policies.check(doc, reported)
    issues += found
    return None if found or reported else policies.build(doc)


def resolve_documents(docs: list[yamlload.Document]):
    """The layers of every leader and profile of `docs`, merged (profiles.Resolution)."""
    leaders, profiles, _ = _layers(docs)
    return resolve(leaders, profiles)


def _fingerprint(docs) -> str:
    """A digest of the config files exactly as they were read (names and bytes)."""
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.file):
        digest.update(doc.file.encode() + b"\0" + doc.sha256)
    return digest.hexdigest()


def _where(layer: Layer, path) -> Location:
    line, col = layer.doc.key_at(path)
    return Location(layer.doc.file, line, col, layer.origin)


def _check_document(doc: yamlload.Document) -> list[ConfigIssue]:
    if not isinstance(doc.data, dict):
        return [doc.issue((), f"expected a mapping with `version: 1` and `leaders:` at the top, got {schema.yaml_type(doc.data)}")]
    return schema.check(doc)


def _layers(docs) -> tuple[list[Layer], dict[str, Layer], list[ConfigIssue]]:
    """Every leader and profile of every file; a name defined twice is an error at the second."""
    leaders: list[Layer] = []
    profiles: dict[str, Layer] = {}
    first: dict[tuple, Layer] = {}
    issues = []
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        for section, kind in (("profiles", Kind.PROFILE), ("leaders", Kind.LEADER)):
            entries = data.get(section)
            for name, entry in entries.items() if isinstance(entries, dict) else ():
                layer = Layer(kind, str(name), doc, entry if isinstance(entry, dict) else {})
                earlier = first.get((kind, layer.name))
                if earlier is not None:
                    rule = RULE["leader_name_unique" if kind == Kind.LEADER else "profile_name_unique"]
                    issues.append(doc.issue(layer.base, rule.say(name=layer.name, first=_where(earlier, earlier.base)), at_key=True))
                    continue
                first[(kind, layer.name)] = layer
                if kind == Kind.LEADER:
                    leaders.append(layer)
                else:
                    profiles[layer.name] = layer
    return leaders, profiles, issues


# --- one merged leader ------------------------------------------------------------------------


def _issue(merged: Merged, rel: tuple, message: str, *, at_key: bool = False) -> ConfigIssue:
    """An issue at the line where `rel` (relative to the leader) was written."""
    layer, path = merged.source(rel)
    return layer.doc.issue(path, message, at_key=at_key)


def _location(merged: Merged, rel: tuple, *, at_key: bool = False) -> Location:
    layer, path = merged.source(rel)
    line, col = layer.doc.key_at(path) if at_key else layer.doc.value_at(path)
    return Location(layer.doc.file, line, col, layer.origin)


def check_leader(merged: Merged) -> list[ConfigIssue]:
    """The full leader schema and the rules, on the merged leader.

    A leader that neither extends nor ignores was already checked against the full
    schema with its file; only the rules remain.
    """
    issues = []
    ignored = _ignored(merged.data)
    extended = len(merged.layers) > 1
    if not extended and not ignored or schema.surely_valid(merged.data, LEADER):
        return _rules(merged)
    for error in schema.errors(merged.data, LEADER):
        for rel, message, at_key in schema.translate(error):
            if message.startswith("missing required key"):
                key = message.split("'")[1]
                if spec.covers(ignored, ".".join(map(str, rel + (key,)))):
                    continue  # the exchange owns it: no need to write it
                if extended:
                    where = ".".join(map(str, rel + (key,)))
                    message = f"missing required key {where!r}: set it in leader {merged.leader.name!r} or in a profile it extends ({', '.join(merged.profiles)})"
                    issues.append(merged.leader.doc.issue(merged.leader.base, message, at_key=True))
                    continue
            issues.append(_issue(merged, rel, message, at_key=at_key))
    return issues + _rules(merged)


def _ignored(data: dict) -> tuple[str, ...]:
    raw = data.get("ignore")
    return tuple(p for p in raw if isinstance(p, str)) if isinstance(raw, list) else ()



def _rel(path: str) -> tuple:
    return tuple(path.split("."))


def _rules(merged: Merged) -> list[ConfigIssue]:
    """The documented rules a JSON Schema cannot express (spec.RULES, checked CONFIG)."""
    issues = []
    cooldown = lookup(merged.data, ("settings", "cooldown"))
    if isinstance(cooldown, dict):
        issues += _cooldown_rules(merged, cooldown)
    chinese = RULE["invite_code_chinese"]
    code = lookup(merged.data, _rel(chinese.path))
    if isinstance(code, str) and spec.CHINESE.search(code):
        issues.append(_issue(merged, _rel(chinese.path), chinese.message))
    return issues


def _cooldown_rules(merged: Merged, cooldown: dict) -> list[ConfigIssue]:
    issues = []
    times = {}
    for key in ("start", "end"):
        raw = cooldown.get(key)
        rel = ("settings", "cooldown", key)
        if isinstance(raw, str) and spec.RFC3339.fullmatch(raw):
            ms = spec.parse_timestamp(raw)
            if ms is None:
                issues.append(_issue(merged, rel, f"{raw!r} is not a valid date-time"))
            elif not 0 <= ms <= spec.MAX_EPOCH_MS:
                issues.append(_issue(merged, rel, f"{raw!r} is out of range: must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"))
                ms = None
            times[key] = ms
        elif isinstance(raw, int) and not isinstance(raw, bool):
            times[key] = raw
    start, end = times.get("start"), times.get("end")
    if cooldown.get("enabled") is True and end == 0 and isinstance(cooldown.get("end"), str):
        issues.append(_issue(merged, ("settings", "cooldown", "end"), RULE["cooldown_end_not_zero"].message))
    if start is not None and end is not None and end < start:
        issues.append(_issue(merged, ("settings", "cooldown", "end"), RULE["cooldown_end_after_start"].message))
    return issues


# --- across the config set --------------------------------------------------------------------


def credential_envs(merged: Merged) -> list[tuple[str, str, tuple]]:
    """(variable, role, path written or ()) of one leader's credentials and invite code."""
    creds = merged.data.get("credentials") if isinstance(merged.data.get("credentials"), dict) else {}
    out = []
    for key, what, role in (("api_key_env", "API_KEY", "API key"), ("api_secret_env", "API_SECRET", "API secret")):
        written = creds.get(key)
        if isinstance(written, str):
            out.append((written, role, ("credentials", key)))
        else:
            out.append((default_env(merged.leader.name, what), role, ()))
    return out


def _check_credentials(merged: dict[str, Merged]) -> list[ConfigIssue]:
    """A variable holding one leader's key or secret is used by nobody else, nor as an invite code."""
    owners: dict[str, tuple[str, str, Location]] = {}
    issues = []
    for name, m in merged.items():
        for env, role, rel in credential_envs(m):
            if env in owners:
                owner, first_role, first = owners[env]
                issues.append(_issue(m, rel, RULE["credential_env_private"].say(env=env, role=first_role, owner=owner, first=first), at_key=not rel))
            else:
                owners[env] = (name, role, _location(m, rel, at_key=not rel))
    for name, m in merged.items():
        code_env = lookup(m.data, ("settings", "invite", "code_env"))
        if isinstance(code_env, str) and code_env in owners:
            owner, role, first = owners[code_env]
            issues.append(_issue(m, ("settings", "invite", "code_env"), RULE["credential_env_private"].say(env=code_env, role=role, owner=owner, first=first)))
    return issues


# --- building the model -----------------------------------------------------------------------


def build(merged: Merged) -> LeaderSpec:
    """The desired model of one checked leader: a loop over spec.SETTINGS."""
    data = merged.data
    values = {}
    for s in spec.SETTINGS:
        raw = lookup(data, _rel(s.path))
        if raw is None:
            continue
        if s.when_off and lookup(data, _rel(spec.BY_ATTR[s.switch].path)) is not True:
            continue  # forbidden by the schema; here only for an ignored switch
        values[s.attr] = s.codec.from_yaml(raw)
    creds = data.get("credentials") or {}
    name = merged.leader.name
    return LeaderSpec(
        name=name,
        credentials=Credentials(
            api_key_env=creds.get("api_key_env") or default_env(name, "API_KEY"),
            api_secret_env=creds.get("api_secret_env") or default_env(name, "API_SECRET"),
        ),
        settings=Settings(**values),
        symbols=tuple(data.get("symbols") or ()),
        follower_removals=tuple((data.get("followers") or {}).get("remove") or ()),
        invite_code_env=lookup(data, ("settings", "invite", "code_env")),
        location=_where(merged.leader, merged.leader.base),
        locate=_locator(merged),
        ignored=_ignored(data),
        profiles=tuple(merged.profiles),
    )


def _locator(merged: Merged):
    """Leader-relative dotted path -> where it (or its closest written parent) was written."""

    def locate(path: str) -> Location | None:
        rel = tuple(int(p) if p.isdigit() else p for p in path.split("."))  # "symbols.2": the list's third item
        layer, written = merged.source(rel)
        if written == layer.base:
            return None
        if isinstance(written[-1], int) and not layer.doc.has_value(written):
            line, col = layer.doc.key_at(written[:-1])  # an item without a position of its own: the list's key
        else:
            line, col = layer.doc.value_at(written)
        return Location(layer.doc.file, line, col, layer.origin)

    return locate
