"""Profiles and `extends`: one leader's definition from the layers it is written in.

A *layer* is one leader or profile as written in one file. A leader's merged
definition is its profiles' layers, merged left to right, then its own on top:

- mappings merge key by key; lists and scalars replace (the upper layer wins);
- `extends: [a, b]` expands each profile first (its own `extends` before it), and a
  profile reached twice (a diamond) is applied once, where it is first reached;
- `extends` itself is consumed by the merge; `ignore` is a list, so it replaces.

Every value of the merged tree remembers the layer it came from (the topmost
layer that has that path), so errors and `plan --explain` can point at the line
where the value was written. Pure functions: no files, no schema.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from reconciler.yamlload import Document

Path_ = tuple


class Kind:
    LEADER = "leader"
    PROFILE = "profile"


@dataclass(frozen=True, slots=True)
class Layer:
    """One leader or profile as written: `doc.data` at `base` is `data`."""

    kind: str  # Kind.LEADER | Kind.PROFILE
    name: str
    doc: Document
    data: dict

    @property
    def base(self) -> Path_:
        return ("leaders" if self.kind == Kind.LEADER else "profiles", self.name)

    @property
    def origin(self) -> str:
        return f"{self.kind} {self.name}"

    def extends(self) -> list[tuple[str, Path_]]:
        """(profile name, path of that item) for each name in `extends` (bad types: none)."""
        raw = self.data.get("extends")
        if isinstance(raw, str):
            return [(raw, self.base + ("extends",))]
        if isinstance(raw, list):
            return [(n, self.base + ("extends", i)) for i, n in enumerate(raw) if isinstance(n, str)]
        return []


@dataclass(slots=True)
class Merged:
    """A leader's definition after merging its layers (lowest first, the leader last)."""

    leader: Layer
    layers: list[Layer]
    data: dict

    def provider(self, rel: Path_) -> Layer:
        """The layer a merged path (relative to the leader) was written in."""
        for layer in reversed(self.layers):
            if _has(layer.data, rel):
                return layer
        return self.leader

    def source(self, rel: Path_) -> tuple[Layer, Path_]:
        """(layer, path in that layer's document) of the closest written parent of `rel`."""
        while rel:
            layer = self.provider(rel)
            if _has(layer.data, rel):
                return layer, layer.base + rel
            rel = rel[:-1]
        return self.leader, self.leader.base

    @property
    def profiles(self) -> list[str]:
        return [layer.name for layer in self.layers if layer.kind == Kind.PROFILE]


@dataclass
class ExtendsProblem:
    """An unknown profile or a cycle, at the `extends` item where it was written."""

    layer: Layer
    path: Path_
    message: str


@dataclass
class Resolution:
    merged: dict[str, Merged] = field(default_factory=dict)
    problems: list[ExtendsProblem] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # profiles some leader extends


def lookup(data, rel: tuple):
    """The value at the mapping keys `rel` in YAML data; None where a key is missing or a
    value on the way is not a mapping."""
    for key in rel:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _has(data, rel: Path_) -> bool:
    for key in rel:
        if isinstance(data, dict) and key in data or isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return False
    return True


def merge(lower, upper):
    """Mappings key by key; anything else: the upper value replaces the lower."""
    if isinstance(lower, dict) and isinstance(upper, dict):
        out = dict(lower)
        for key, value in upper.items():
            out[key] = merge(lower[key], value) if key in lower else value
        return out
    return upper


def resolve(leaders: list[Layer], profiles: dict[str, Layer]) -> Resolution:
    """Every leader's merged definition, and every unknown profile or cycle."""
    out = Resolution()
    reported: set[tuple] = set()
    expanded: set[str] = set()  # profiles whose every `extends` item has been checked
    for leader in leaders:
        chain: list[Layer] = []
        if _expand(leader, profiles, [], chain, out, reported, expanded):
            out.used.update(layer.name for layer in chain if layer.kind == Kind.PROFILE)
            data: dict = {}
            for layer in chain:
                data = merge(data, {k: v for k, v in layer.data.items() if k != "extends"})
            out.merged[leader.name] = Merged(leader, chain, data)
    for profile in profiles.values():  # cycles and unknown names in profiles no leader reaches, too
        if profile.name not in expanded:
            _expand(profile, profiles, [profile.name], [], out, reported, expanded)
    return out


def _expand(root: Layer, profiles: dict[str, Layer], stack: list[str], chain: list[Layer], out: Resolution,
            reported: set, expanded: set[str]) -> bool:
    """Append `root`'s profiles (depth first, first reach wins), then `root`, to `chain`.

    Depth first with a stack of its own, not Python's: an `extends` chain of any depth
    (10,000 profiles) resolves without a recursion limit, in time linear in its length.
    `stack` names the profiles being expanded (a name met again there is a cycle)."""
    path_names = list(stack)
    on_path = set(stack)
    in_chain = {id(layer) for layer in chain}
    frames: list[list] = [[root, iter(root.extends()), True]]  # layer, its items left, all fine so far
    while True:
        frame = frames[-1]
        layer, items = frame[0], frame[1]
        for name, path in items:
            problem = _check(layer, name, path, profiles, path_names, on_path)
            if problem is not None:
                key = (problem.layer.doc.file, problem.path)
                if key not in reported:
                    reported.add(key)
                    out.problems.append(problem)
                frame[2] = False
                continue
            profile = profiles[name]
            if id(profile) not in in_chain:
                path_names.append(name)
                on_path.add(name)
                frames.append([profile, iter(profile.extends()), True])
                break
        else:  # every item of `layer` done
            frames.pop()
            if id(layer) not in in_chain:
                chain.append(layer)
                in_chain.add(id(layer))
            if layer.kind == Kind.PROFILE:
                expanded.add(layer.name)
            if not frames:
                return frame[2]
            on_path.discard(path_names.pop())
            frames[-1][2] = frames[-1][2] and frame[2]


def _check(layer: Layer, name: str, path: Path_, profiles: dict[str, Layer], stack: list[str], on_stack: set[str]) -> ExtendsProblem | None:
    if name not in profiles:
        close = difflib.get_close_matches(name, sorted(profiles), n=1, cutoff=0.6)
        known = sorted(profiles)
        listed = ", ".join(known) if len(known) <= 10 else f"{', '.join(known[:10])} and {len(known) - 10} more"
        hint = f"; did you mean {close[0]!r}?" if close else (f"; profiles: {listed}" if profiles else "; no profiles are defined")
        return ExtendsProblem(layer, path, f"unknown profile {name!r}{hint}")
    if name in on_stack:
        names = stack[stack.index(name):] + [name]
        if len(names) > 9:  # a long cycle: its ends, not thousands of names
            names = names[:4] + [f"... {len(names) - 8} more ..."] + names[-4:]
        cycle = " -> ".join(names)
        return ExtendsProblem(layer, path, f"profiles extend each other in a cycle ({cycle}): remove one `extends`")
    return None
