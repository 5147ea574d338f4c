"""`leaderctl refresh`: accept the exchange's values into the config files (docs/contract.md §11).

For every leader whose plan has changes, the live values become the desired ones,
written where they belong (`yamledit` makes each edit in the exact span):

- a value written in the leader's own mapping is replaced there;
- a value written in a profile is replaced in the profile when this leader is the only
  one extending it (the profile is, in effect, part of this leader); when other leaders
  extend it too, the profile is not touched: the leader gets an override in its own
  mapping, inserted under the deepest mapping it already has on that path;
- a value the config does not write yet (the end of a cool-down switched on live) goes
  into the leader's own mapping; one that may not be written any more (the cool-down
  times once cool-down is off live) is removed, never from a profile others extend;
- `symbols` is replaced by the live list, in the list's style.

Never written: the invite code (from `code_env` or the file: "the live invite code
differs" is said, never the code), `followers.remove`, ignored paths. Blocked and
error leaders are left alone and reported.

Nothing is written unless the edited text validates, the plan of every refreshed
leader against the same live state is empty (the invite code aside), and every other
leader's desired state is unchanged. A file is replaced atomically, and only if it
still holds the bytes that were read.
"""
from __future__ import annotations

import codecs
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler import config, spec, yamledit, yamlload
from reconciler.atomic import atomic_write
from reconciler.errors import ConfigError, LeaderctlError
from reconciler.model import Desired, LeaderPlan, LeaderSpec, LeaderStatus, Live, Plan
from reconciler.planner import plan_leader
from reconciler.profiles import Kind, Layer, Merged


class RefreshRefused(LeaderctlError):
    """Refresh cannot write this safely: nothing was written."""


class FileChangedOnDisk(LeaderctlError):
    """A config file changed between refresh's read and its write: not overwritten."""


@dataclass(frozen=True)
class Put:
    """Write `value` at `rel` (leader-relative); `codec` None: the symbol list."""

    rel: tuple
    value: object
    codec: spec.Codec | None = None


@dataclass(frozen=True)
class Remove:
    rel: tuple


@dataclass
class FileChange:
    path: Path
    display: str
    before: str
    after: str
    read: bytes  # the file's bytes when it was read: it is replaced only if it still holds them
    bom: bool = False

    def data(self) -> str:
        return ("\ufeff" if self.bom else "") + self.after


@dataclass
class Refresh:
    plan: Plan
    files: list[FileChange] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)  # leaders whose values are written
    notes: list[str] = field(default_factory=list)

    @property
    def left_alone(self) -> list[LeaderPlan]:
        return [lp for lp in self.plan.leaders if lp.status in (LeaderStatus.BLOCKED, LeaderStatus.ERROR)]

    def exit_code(self, check: bool) -> int:
        """1 when a leader was left alone (blocked or error), else 2 for changes with --check, else 0."""
        if self.left_alone:
            return 1
        return 2 if check and self.files else 0


# --- reading and planning ---------------------------------------------------------------------


@dataclass
class Reading:
    """What refresh starts from: the files' bytes (read once), the config, the plan and each leader's live state."""

    paths: list
    desired: Desired
    files: list[Path]
    texts: dict[Path, bytes]
    plan: Plan
    lives: dict[str, tuple[LeaderSpec, Live]]


def read(paths, leaders, connect) -> Reading:
    """Read the files once and plan the selected leaders against the live state (nothing written)."""
    from reconciler.interrupts import Interrupts
    from reconciler.operations import make_plan

    files, _ = config.expand(list(paths))
    texts = {}
    for f in files:
        try:
            texts[f] = f.read_bytes()
        except OSError:
            pass  # load_desired says so, located
    desired = config.load_desired(list(paths), texts=texts)
    with connect.session() as session, Interrupts(session.conn):
        the_plan, readings = make_plan(desired, paths, leaders, session)
    lives = {name: (r.leader, r.live) for name, r in readings.items() if r.live is not None}
    return Reading(list(paths), desired, files, texts, the_plan, lives)


def refresh(paths, leaders, connect) -> tuple[Desired, Refresh]:
    """Read, plan, and compute the checked edits (nothing written: `write` does)."""
    r = read(paths, leaders, connect)
    return r.desired, propose(r.paths, r.desired, r.files, r.texts, r.plan, r.lives)


def proposal(r: Reading) -> Refresh:
    return propose(r.paths, r.desired, r.files, r.texts, r.plan, r.lives)


def propose(paths: list, desired: Desired, files: list[Path], texts: dict[Path, bytes], the_plan: Plan,
            lives: dict[str, tuple[LeaderSpec, Live]]) -> Refresh:
    """The edits that make `the_plan`'s leaders match their live state, checked; pure but for the YAML."""
    out = Refresh(the_plan)
    docs = [yamlload.load(f, raw=texts[f])[0] for f in files]
    resolution = config.resolve_documents(docs)
    editor = _Editor({str(f): texts[f].decode("utf-8-sig") for f in files}, resolution.merged)
    for lp in the_plan.leaders:
        if lp.status in (LeaderStatus.BLOCKED, LeaderStatus.ERROR):
            first = lp.problems[0].message if lp.problems else ""
            out.notes.append(f"leader {lp.name}: {lp.status.value}, left alone: {first}")
            continue
        if lp.status is not LeaderStatus.CHANGES:
            continue
        leader, live = lives[lp.name]
        ops, notes = wanted(leader, lp, live)
        out.notes += notes
        if ops:
            try:
                editor.place(resolution.merged[lp.name], ops)
            except yamledit.EditRefused as e:
                raise RefreshRefused(f"leader {lp.name}: {e} (nothing was written; --leader refreshes the others)") from None
            out.refreshed.append(lp.name)
    try:
        out.files = editor.changes(files, texts)
    except yamledit.EditRefused as e:
        raise RefreshRefused(f"{e} (nothing was written; --leader refreshes the others)") from None
    if out.files:
        _verify(paths, desired, texts, out, lives)
    return out


def _rel(path: str) -> tuple:
    return tuple(path.split("."))


def wanted(leader: LeaderSpec, lp: LeaderPlan, live: Live) -> tuple[list, list[str]]:
    """What to write (Put/Remove, leader-relative) so that `leader` wants its live values, and notes."""
    ops: dict[tuple, object] = {}
    notes = []
    changed = {c.setting.attr for c in lp.changes if c.setting is not None}
    for s in spec.SETTINGS:
        if s.attr not in changed:
            continue
        if s.sensitive:
            if getattr(live.settings, s.switch) is True:
                where = f"in {leader.invite_code_env}" if leader.invite_code_env else "in the config"
                notes.append(f"leader {leader.name}: the live invite code differs: not written (set it {where} by hand if it should stay)")
            continue
        value = getattr(live.settings, s.attr)
        ops[_rel(s.path)] = Remove(_rel(s.path)) if value is None else Put(_rel(s.path), value, s.codec)
    for s in spec.SETTINGS:  # what a switch turned on or off live requires or forbids
        if s.switch is None or s.switch not in changed or leader.ignores(s.path):
            continue
        if getattr(live.settings, s.switch) is not True and s.when_off:
            ops[_rel(s.path)] = Remove(_rel(s.path))
            if s.env_key:
                ops[_rel(f"{s.section}.{s.env_key}")] = Remove(_rel(f"{s.section}.{s.env_key}"))
        elif (getattr(live.settings, s.switch) is True and s.presence is spec.Presence.WHEN_ON
              and _rel(s.path) not in ops and getattr(live.settings, s.attr) is not None):
            ops[_rel(s.path)] = Put(_rel(s.path), getattr(live.settings, s.attr), s.codec)
    if any(c.field == spec.SYMBOLS_FIELD for c in lp.changes):
        ops[(spec.SYMBOLS_PATH,)] = Put((spec.SYMBOLS_PATH,), tuple(live.symbols))
    return list(ops.values()), notes


# --- where each value goes --------------------------------------------------------------------


def _written(data, rel: tuple) -> bool:
    for key in rel:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


class _Editor:
    """Collects the edits of every file, then makes them (yamledit)."""

    def __init__(self, texts: dict[str, str], merged: dict[str, Merged]):
        self._raw = texts  # file (as the loader names it) -> its text
        self.sources: dict[str, yamledit.Source] = {}
        self.edits: dict[str, list[yamledit.Edit]] = defaultdict(list)
        self.inserts: dict[tuple[str, tuple], dict] = {}
        self.removals: dict[tuple[str, tuple, int], set] = {}  # (file, mapping, floor) -> keys to remove
        self.users: dict[str, set[str]] = defaultdict(set)  # profile -> the leaders extending it
        for name, m in merged.items():
            for layer in m.layers:
                if layer.kind == Kind.PROFILE:
                    self.users[layer.name].add(name)

    def source(self, file: str) -> yamledit.Source:
        if file not in self.sources:
            self.sources[file] = yamledit.Source(file, self._raw[file])
        return self.sources[file]

    def editable(self, layer: Layer, leader: str) -> bool:
        return layer.kind == Kind.LEADER or self.users[layer.name] == {leader}

    def place(self, merged: Merged, ops: list) -> None:
        name = merged.leader.name
        for op in ops:
            if isinstance(op, Remove):
                self._remove(merged, op.rel)
                continue
            layer, written = merged.source(op.rel)
            if written == layer.base + op.rel and self.editable(layer, name):
                self._replace(layer, op)
            else:
                self._override(merged, op, layer if written == layer.base + op.rel else None)

    def _remove(self, merged: Merged, rel: tuple) -> None:
        for layer in merged.layers:
            if not _written(layer.data, rel):
                continue
            src = self.source(layer.doc.file)
            if not self.editable(layer, merged.leader.name):
                others = sorted(self.users[layer.name] - {merged.leader.name})
                node = src.node(layer.base + rel)
                raise src.refuse(node, layer.base + rel, f"the live state needs this removed, but profile {layer.name!r} is also "
                                 f"extended by {', '.join(others)} and an override cannot remove a key: edit by hand")
            keys = self.removals.setdefault((layer.doc.file, layer.base + rel[:-1], len(layer.base) + 1), set())
            keys.add(rel[-1])

    def _replace(self, layer: Layer, op: Put) -> None:
        src = self.source(layer.doc.file)
        path = layer.base + op.rel
        if op.codec is None:
            self.edits[layer.doc.file] += yamledit.replace_list(src, path, list(op.value))
        else:
            node = src.node(path)
            self.edits[layer.doc.file].append(yamledit.replace_scalar(src, path, yamledit.scalar_text(op.codec, op.value, node)))

    def _override(self, merged: Merged, op: Put, written_in: Layer | None) -> None:
        """`op` into the leader's own mapping, under the deepest mapping it already has."""
        leader = merged.leader
        src = self.source(leader.doc.file)
        at, missing = yamledit.deepest_mapping(src, leader.base, op.rel)
        if op.codec is None:
            like = None
            if written_in is not None:
                listed = self.source(written_in.doc.file).node(written_in.base + op.rel)
                like = listed
            items = tuple(yamledit.item_text(i, like.value[0] if like is not None and like.value else None) for i in op.value)
            value = yamledit.Items(items, block=like is not None and not like.flow_style)
        else:
            value = yamledit.scalar_text(op.codec, op.value)
        tree = self.inserts.setdefault((leader.doc.file, at), {})
        for key in missing[:-1]:
            tree = tree.setdefault(key, {})
        tree[missing[-1]] = value

    def changes(self, files: list[Path], texts: dict[Path, bytes]) -> list[FileChange]:
        floors = {(file, at): floor for file, at, floor in self.removals}
        removals = {(file, at): keys for (file, at, _), keys in self.removals.items()}
        for file, at in dict.fromkeys([*removals, *self.inserts]):
            edits = yamledit.rewrite(self.source(file), at, removals.get((file, at), set()), self.inserts.get((file, at), {}),
                                     floors.get((file, at), 0))
            self.edits[file] += edits
        out = []
        for f in files:
            edits = self.edits.get(str(f))
            if not edits:
                continue
            raw = texts[f]
            before = self._raw[str(f)]
            try:
                after = yamledit.apply(before, edits)
            except ValueError:
                raise RefreshRefused(f"{f}: the edits it needs overlap (several keys of one flow mapping): "
                                     "nothing was written; edit by hand") from None
            if after != before:
                out.append(FileChange(f, str(f), before, after, raw, bom=raw.startswith(codecs.BOM_UTF8)))
        return out


# --- checked before anything is written -------------------------------------------------------


def _essence(leader: LeaderSpec):
    return (leader.settings, tuple(sorted(leader.symbols)), leader.follower_removals, leader.ignored, leader.invite_code_env)


def _verify(paths: list, desired: Desired, texts: dict[Path, bytes], out: Refresh, lives) -> None:
    """The edited text validates, the refreshed leaders plan empty, the others are as they were."""
    new = dict(texts)
    for f in out.files:
        new[f.path] = f.data().encode("utf-8")
    try:
        after = config.load_desired(paths, texts=new)
    except ConfigError as e:
        raise RefreshRefused(f"the refreshed config would not be valid, so nothing was written:\n{e}") from None
    for name in out.refreshed:
        was, live = lives[name]
        leader = after.leaders[name]
        leader = replace(leader, settings=replace(leader.settings, invite_code=was.settings.invite_code))
        left = [c.path for c in plan_leader(leader, live).changes if not c.sensitive]
        if left:
            raise RefreshRefused(f"leader {name}: after the edits the plan would still change {', '.join(dict.fromkeys(left))}: "
                                 "nothing was written; edit by hand")
    for name, leader in desired.leaders.items():
        if name not in out.refreshed and _essence(leader) != _essence(after.leaders[name]):
            raise RefreshRefused(f"leader {name}: the edits for the other leaders would change it too: nothing was written; edit by hand")


# --- writing ----------------------------------------------------------------------------------


def write(result: Refresh) -> None:
    """Replace every changed file atomically, none that changed on disk since it was read."""
    for f in result.files:
        _unchanged(f)
    for f in result.files:
        mode = os.stat(f.path).st_mode & 0o7777
        atomic_write(f.path, f.data(), mode=mode, before_replace=lambda f=f: _unchanged(f))


def _unchanged(f: FileChange) -> None:
    try:
        now = f.path.read_bytes()
    except OSError as e:
        raise FileChangedOnDisk(f"{f.display}: cannot read it again before writing ({e.strerror or e}): not written") from None
    if now != f.read:
        raise FileChangedOnDisk(f"{f.display}: changed on disk since refresh read it: not overwritten; run refresh again")


def summary(result: Refresh, check: bool) -> str:
    """The last line on stderr: what was (or would be) written."""
    if not result.files:
        return "refresh: nothing to change"
    n, f = len(result.refreshed), len(result.files)
    what = f"{n} leader{'s' if n != 1 else ''} in {f} file{'s' if f != 1 else ''}"
    return f"refresh: would change {what} (--check: nothing written)" if check else f"refresh: wrote {what}"
