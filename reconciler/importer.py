"""`leaderctl import`: leaders' live settings written back as a config file.

The YAML is built by a loop over `spec.SETTINGS`, so the output goes through the
same loader and planner as any config and plans in sync; credentials stay names
of variables and the invite code is never written (its `code_env` is). With
`--profiles`, the settings every imported leader shares become one profile and
each leader keeps only its differences.
"""
from __future__ import annotations

import re

from reconciler import __version__, spec
from reconciler.atomic import atomic_write
from reconciler.config import default_env
from reconciler.model import Credentials, LeaderSpec, Live, Settings
from reconciler.runner import read_config

Tree = dict  # nested mapping of YAML keys; leaves are YAML source text (or a list of them)
PROFILE = "common"
# the schema of this version, for editors (the yaml-language-server comment)
SCHEMA_URL = f"https://raw.githubusercontent.com/leaderctl/leaderctl/v{__version__}/schemas/leaders.schema.json"


def bare_spec(name: str) -> LeaderSpec:
    return LeaderSpec(
        name=name,
        credentials=Credentials(default_env(name, "API_KEY"), default_env(name, "API_SECRET")),
        settings=Settings(),
        symbols=(),
    )


def _written(s: spec.Setting, values) -> bool:
    """Whether a live value belongs in the config: set, its switch on where it needs it, not an empty default."""
    value = getattr(values, s.attr)
    if value is None:
        return False
    on = s.switch is None or getattr(values, s.switch) is True
    if s.when_off and not on:
        return False
    return s.presence is spec.Presence.REQUIRED or on and s.presence is not spec.Presence.OPTIONAL or bool(value)


def _put(tree: Tree, path: str, text) -> None:
    *parents, last = path.split(".")
    for p in parents:
        tree = tree.setdefault(p, {})
    tree[last] = text


def leader_tree(leader: LeaderSpec, live: Live) -> Tree:
    """One leader as a YAML tree (credentials, settings, symbols) from its live state."""
    tree: Tree = {}
    credentials = {key: name for key, name, what in (("api_key_env", leader.credentials.api_key_env, "API_KEY"),
                                                     ("api_secret_env", leader.credentials.api_secret_env, "API_SECRET"))
                   if name != default_env(leader.name, what)}  # the defaults go without saying
    if credentials:
        tree["credentials"] = credentials
    for s in spec.SETTINGS:
        if not _written(s, live.settings):
            continue
        if s.sensitive:  # never the value: the name of a variable to hold it
            _put(tree, f"{s.section}.{s.env_key}", leader.invite_code_env or default_env(leader.name, "INVITE_CODE"))
        else:
            _put(tree, s.path, s.codec.to_yaml(getattr(live.settings, s.attr)))
    tree["symbols"] = [_quote(sym) for sym in live.symbols]
    return tree


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}  # YAML 1.1 reads these as bools or null


def _quote(text: str) -> str:
    """A symbol as YAML: plain when it can only read as itself (`BTC-SWAP-USDT`), else quoted."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit(tree: Tree, indent: int) -> list[str]:
    lines = []
    pad = " " * indent
    for key, value in tree.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines += emit(value, indent + 2)
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}  - {item}" for item in value]
        else:
            lines.append(f"{pad}{key}: {value}")
    return lines


def _common(trees: list[Tree]) -> Tree:
    """What every tree holds alike (mappings key by key; other values whole)."""
    first, *rest = trees
    out: Tree = {}
    for key, value in first.items():
        if key == "credentials" or not all(key in t for t in rest):
            continue
        if isinstance(value, dict) and all(isinstance(t[key], dict) for t in rest):
            inner = _common([value] + [t[key] for t in rest])
            if inner:
                out[key] = inner
        elif all(t[key] == value for t in rest):
            out[key] = value
    return out


def _without(tree: Tree, common: Tree) -> Tree:
    out: Tree = {}
    for key, value in tree.items():
        if key in common and isinstance(value, dict) and isinstance(common[key], dict):
            rest = _without(value, common[key])
            if rest:
                out[key] = rest
        elif key not in common:
            out[key] = value
    return out


def to_yaml(leaders: list[tuple[LeaderSpec, Live]], *, profiles: bool = False) -> str:
    names = " ".join(f"--leader {leader.name}" for leader, _ in leaders)
    lines = [
        f"# yaml-language-server: $schema={SCHEMA_URL}",
        f"# imported from the exchange by `leaderctl import {names}`",
        "# (`leaderctl schema` prints the same JSON Schema; point $schema at a local copy if you like)",
        "version: 1",
    ]
    trees = [leader_tree(leader, live) for leader, live in leaders]
    common = _common(trees) if profiles and len(trees) > 1 else {}
    if common:
        lines += ["profiles:", f"  {PROFILE}:"] + emit(common, 4)
        trees = [{"extends": PROFILE, **_without(t, common)} for t in trees]
    lines.append("leaders:")
    for (leader, _), tree in zip(leaders, trees):
        lines += [f"  {leader.name}:"] + emit(tree, 4)
    return "\n".join(lines) + "\n"


def import_leaders(leaders: list[LeaderSpec], session, *, profiles: bool = False) -> str:
    read = []
    for leader in leaders:
        live, _ = read_config(session.client(leader))
        read.append((leader, live))
    return to_yaml(read, profiles=profiles)


def write(path, text: str) -> None:
    atomic_write(path, text)
