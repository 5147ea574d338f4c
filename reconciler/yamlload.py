"""Reads YAML into plain values while remembering where every value was written.

PyYAML's own constructors lose positions, accept duplicate keys and turn `0.1`
into a binary float, so the node tree is composed by PyYAML and constructed here:
mappings become dicts (duplicate keys are errors), `0.1` becomes Decimal("0.1"),
and timestamps stay the strings the user wrote (the schema checks them).
"""
from __future__ import annotations

import hashlib
import re
import sys
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from reconciler.errors import ConfigIssue

MAX_DEPTH = 50
MAX_ALIAS_VALUES = 100_000  # values produced by expanding aliases (*name): an alias bomb stops here
MAX_BYTES = 5 * 1024 * 1024

# Plain (unquoted) numbers that YAML 1.1 and YAML 1.2 read differently, or that do
# not read as they look: `0100` is octal 64 in YAML 1.1 (a follower ID misread is
# somebody else), `1:30` is 90. Each is an error at its line:col, everywhere.
AMBIGUOUS_NUMBERS = (
    (re.compile(r"[-+]?0[0-9_]+(\.[0-9_]*)?"), "a number with a leading zero (YAML 1.1 reads 0100 as octal 64)"),
    (re.compile(r"[-+]?0[xX][0-9a-fA-F_]+"), "a hexadecimal number"),
    (re.compile(r"[-+]?0[oO][0-7_]+"), "an octal number"),
    (re.compile(r"[-+]?0[bB][01_]+"), "a binary number"),
    (re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"), "a base-60 number (YAML 1.1 reads 1:30 as 90)"),
    (re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)"), None),  # "... is not a finite number"
)

Path_ = tuple  # a path into the document: tuple of str keys and int indexes


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type (dates stay strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

if hasattr(yaml, "CSafeLoader"):

    class _FastLoader(yaml.CSafeLoader):
        """libyaml's parser (about 6x faster), with the same resolvers as _Loader."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
else:  # PyYAML built without libyaml
    _FastLoader = _Loader

# libyaml composes recursively in C, without Python's recursion limit: only text whose
# nesting is plainly shallow goes to it; anything else gets the Python composer, which
# stops at the recursion limit and is reported as "nested too deeply".
_FAST_MAX_LINE = 500
_FAST_MAX_BRACKETS = 50


def _shallow(text: str) -> bool:
    """No long line and no deep bracket nesting (quoted brackets count too: then just slower)."""
    if any(len(line) > _FAST_MAX_LINE for line in text.splitlines()):
        return False
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match.group() in "[{" else -1
        if depth > _FAST_MAX_BRACKETS:
            return False
    return True


def _compose(text: str):
    """The node tree; libyaml when it is safe, and PyYAML's own words for any error."""
    if _shallow(text):
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass  # say it the way the Python composer does (same positions, same words)
    return yaml.compose(text, Loader=_Loader)

_INT = yaml.constructor.SafeConstructor()
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


_COMPLETING = threading.Lock()
_EAGER = 2  # path lengths whose positions are always kept (see Document.lazy)
_COL_BITS = 24  # columns below 2**24: more than a MAX_BYTES file's longest line


class Positions(dict):
    """path -> (line, col), each stored packed in one int: a tuple of two ints cost 72 bytes,
    for every key and every value of the file (10,000 leaders: 51 of each a leader)."""

    __slots__ = ()

    def __getitem__(self, path) -> tuple[int, int]:
        packed = dict.__getitem__(self, path)
        return packed >> _COL_BITS, packed & ((1 << _COL_BITS) - 1)

    def get(self, path, default=None):
        return self[path] if path in self else default

    def __setitem__(self, path, position: tuple[int, int]) -> None:
        dict.__setitem__(self, path, _pack(*position))

    def setdefault(self, path, position: tuple[int, int]):
        if path not in self:
            self[path] = position
        return self[path]


def _pack(line: int, col: int) -> int:
    return line << _COL_BITS | min(col, (1 << _COL_BITS) - 1)


@dataclass(slots=True)  # one per file: 10,000 files, 10,000 of them
class Document:
    """One YAML file: its data plus the position of every key and value."""

    file: str
    data: object = None
    sha256: bytes = b""  # of the bytes read: what a saved plan was made from
    _values: Positions = field(default_factory=Positions)
    _keys: Positions = field(default_factory=Positions)
    # A valid file read from the event stream keeps only the positions of its top two levels
    # (each leader's and profile's name) and its text: the rest are read again from the text
    # when first asked for (an error, `plan --explain`). For 10,000 leaders that is 4 MB of
    # text instead of ~60 MB of positions held through the whole run.
    lazy: str | None = field(default=None, repr=False, compare=False)

    def _complete(self, path: Path_, table: Positions) -> None:
        if self.lazy is not None and (len(path) > _EAGER or path not in table):
            with _COMPLETING:  # plan's workers may ask at once: `lazy` is cleared only when all are read
                if self.lazy is not None:
                    _Streamer(self, []).document(yaml.parse(self.lazy, Loader=_FastLoader))  # its data is the same: dropped
                    self.lazy = None

    @property
    def values(self) -> Positions:
        """path -> (line, col) of every value written (all of them: read now if they were not)."""
        self._complete((), Positions())
        return self._values

    @property
    def keys(self) -> Positions:
        """path -> (line, col) of every mapping key written."""
        self._complete((), Positions())
        return self._keys

    def has_value(self, path: Path_) -> bool:
        """Whether a value was written at exactly `path`."""
        path = tuple(path)
        self._complete(path, self._values)
        return path in self._values

    def value_at(self, path: Path_) -> tuple[int, int]:
        """Position of the value at `path`, or of its closest written parent."""
        path = tuple(path)
        self._complete(path, self._values)
        while path not in self._values and path:
            path = path[:-1]
        return self._values.get(path, (1, 1))

    def key_at(self, path: Path_) -> tuple[int, int]:
        path = tuple(path)
        self._complete(path, self._keys)
        return self._keys.get(path) or self.value_at(path)

    def issue(self, path: Path_, message: str, *, at_key: bool = False) -> ConfigIssue:
        line, col = self.key_at(path) if at_key else self.value_at(path)
        return ConfigIssue(self.file, line, col, dotted(path), message)


def dotted(path: Path_) -> str:
    parts = []
    for p in path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            text = str(p)
            if not text.isprintable():  # a key with "\n" or "\r" must not break the message line
                text = text.encode("unicode_escape").decode("ascii")
            parts.append(("." if parts else "") + text)
    return "".join(parts)


class _Abort(Exception):
    def __init__(self, issue: ConfigIssue):
        self.issue = issue


def load(path: Path, display: str | None = None, *, raw: bytes | None = None) -> tuple[Document, list[ConfigIssue]]:
    """Parse one file (or `raw`, the bytes it is to hold). Returns the document and the issues found while reading it."""
    name = display or str(path)
    doc = Document(name)
    try:
        raw = path.read_bytes() if raw is None else raw
    except OSError as e:
        return doc, [ConfigIssue(name, 1, 1, "", f"cannot read file: {e.strerror or e}")]
    doc.sha256 = hashlib.sha256(raw).digest()
    if len(raw) > MAX_BYTES:
        return doc, [ConfigIssue(name, 1, 1, "", f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB: not a leader config")]
    if b"\x00" in raw:
        return doc, [ConfigIssue(name, 1, 1, "", "binary file (contains NUL bytes): expected a YAML text file")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return doc, [ConfigIssue(name, line, 1, "", "not UTF-8 text: save the file as UTF-8")]
    if _shallow(text):
        streamed = Document(name, sha256=doc.sha256)
        issues: list[ConfigIssue] = []
        try:
            streamed.data = _Streamer(streamed, issues, positions=False).document(yaml.parse(text, Loader=_FastLoader))
            if issues:
                raise _Unusual  # every position read at once, by the tree, for the words of the issues
            streamed.lazy = text
            return streamed, issues
        except _Abort as a:
            return streamed, [a.issue]
        except (_Unusual, yaml.YAMLError):
            pass  # the node tree below says it (or reads it) exactly as before
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = e.problem or e.context or "invalid YAML"
        return doc, [ConfigIssue(name, line, col, "", f"YAML syntax error: {what}")]
    except yaml.YAMLError as e:
        return doc, [ConfigIssue(name, 1, 1, "", f"YAML error: {e}")]
    except RecursionError:
        return doc, [ConfigIssue(name, 1, 1, "", f"YAML nested too deeply (more than {MAX_DEPTH} levels)")]
    if node is None:
        return doc, [ConfigIssue(name, 1, 1, "", "file is empty: expected a mapping with `version: 1` and `leaders:`")]
    issues: list[ConfigIssue] = []
    builder = _Builder(doc, issues)
    try:
        doc.data = builder.build(node, (), 0)
    except _Abort as a:
        return doc, [a.issue]
    return doc, issues


class _Builder:
    def __init__(self, doc: Document, issues: list[ConfigIssue]):
        self.doc = doc
        self.issues = issues
        self.built: set[int] = set()  # ids of nodes built once: meeting one again is an alias
        self.expanding = 0  # > 0 while building the expansion of an alias
        self.expanded = 0
        self.positions = True  # False: only those of the top levels (Document.lazy)

    def build(self, node, path: Path_, depth: int):
        if id(node) not in self.built:
            self.built.add(id(node))
            return self._build(node, path, depth)
        self.expanding += 1  # an alias: count every value it expands to
        try:
            return self._build(node, path, depth)
        finally:
            self.expanding -= 1

    def _build(self, node, path: Path_, depth: int):
        if self.expanding:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_VALUES:
                raise _Abort(self._at(node, path, f"aliases (*name) expand to more than {MAX_ALIAS_VALUES} values: write the values out"))
        if depth > MAX_DEPTH:
            raise _Abort(self._at(node, path, f"nested too deeply (more than {MAX_DEPTH} levels)"))
        dict.setdefault(self.doc._values, path, _pack(node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _COLLECTION_TAGS:
            # `!!set {..}`, `!!python/object/apply:.. [..]`: refused like tagged scalars, not silently read
            self.issues.append(self._at(node, path, f"unsupported YAML tag {node.tag!r}"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node, path: Path_, depth: int) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            sub = self._key(out, key_node, path)
            if sub is not None:
                out[sub[-1]] = self.build(value_node, sub, depth + 1)
        return out

    def _key(self, out: dict, key_node, path: Path_):
        """The path of a mapping's value under `key_node`, or None (an issue) when it is not read."""
        if key_node.tag == "tag:yaml.org,2002:merge":
            self.issues.append(self._at(key_node, path, "YAML merge keys (<<) are not supported: write the keys out"))
            return None
        if not isinstance(key_node, yaml.ScalarNode):
            self.issues.append(self._at(key_node, path, "a key must be a plain string"))
            return None
        key = sys.intern(key_node.value)  # one `settings` for every leader, not one each
        if key_node.tag != "tag:yaml.org,2002:str" and not isinstance(self._scalar(key_node, path), str):
            key = str(key_node.value)
        sub = path + (key,)
        if key in out:
            first = self.doc._keys.get(sub, (0, 0))
            self.issues.append(self._at(key_node, sub, f"duplicate key {key!r} (first written at line {first[0]}): keep one"))
            return None
        if self.positions or len(sub) <= _EAGER:
            dict.__setitem__(self.doc._keys, sub, _pack(key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        return sub

    def _scalar(self, node, path: Path_):
        tag, text = node.tag, node.value
        if not node.style and text[:1] in "+-.0123456789":  # plain: None (PyYAML) or "" (libyaml)
            for pattern, what in AMBIGUOUS_NUMBERS:
                if pattern.fullmatch(text):
                    # the value is not echoed (it may be a secret written without quotes), but .inf is .inf
                    message = f"{what} is ambiguous in YAML: write it as a string (quoted) or as a plain decimal without leading zeros" if what else f"{text} is not a finite number"
                    self.issues.append(self._at(node, path, message))
                    return None
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() in ("true", "yes", "on", "y")
        if tag == "tag:yaml.org,2002:int":
            try:
                return _INT.construct_yaml_int(node)
            except ValueError:
                self.issues.append(self._at(node, path, "number too large"))
                return None
        if tag == "tag:yaml.org,2002:float":
            return self._decimal(node, path)
        if tag == "tag:yaml.org,2002:str":
            return text
        self.issues.append(self._at(node, path, f"unsupported YAML tag {tag!r}"))
        return None

    def _decimal(self, node, path: Path_):
        text = node.value
        try:
            value = Decimal(text)
        except InvalidOperation:
            # not echoed: the value may be a secret (an invite code YAML took for a float)
            self.issues.append(self._at(node, path, "not a number as written (quote it if it is text)"))
            return None
        if not value.is_finite() or abs(value.adjusted()) > 1000:
            self.issues.append(self._at(node, path, "number out of range"))
            return None
        return value

    def _at(self, node, path: Path_, message: str) -> ConfigIssue:
        return ConfigIssue(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1, dotted(path), message)


class _Unusual(Exception):
    """Something the event stream reader leaves to the node tree: an anchor, an alias, an
    explicit tag, a complex key, no document or more than one."""


_RESOLVER = _Loader("")  # resolves plain scalars' tags exactly as the loaders do


class _Streamer(_Builder):
    """Builds the data and the positions straight from libyaml's parse events, never holding
    the whole file's node tree (for 10,000 leaders that tree alone was ~200 MiB). Reads
    exactly what `_Builder` reads from the tree, with its own methods; whatever is unusual
    (`_Unusual`) or wrong as YAML goes to the tree, which words it as before."""

    def __init__(self, doc: Document, issues: list[ConfigIssue], *, positions: bool = True):
        super().__init__(doc, issues)
        self.positions = positions

    def document(self, events):
        events = iter(events)
        kinds = [type(next(events)), type(next(events))]
        if kinds != [yaml.StreamStartEvent, yaml.DocumentStartEvent]:
            raise _Unusual
        data = self.node(next(events), events, (), 0)
        if type(next(events)) is not yaml.DocumentEndEvent or type(next(events)) is not yaml.StreamEndEvent:
            raise _Unusual
        return data

    def node(self, event, events, path: Path_, depth: int):
        if getattr(event, "anchor", None) is not None or type(event) is yaml.AliasEvent or event.tag not in (None, "!"):
            raise _Unusual
        if depth > MAX_DEPTH:
            raise _Abort(self._at(event, path, f"nested too deeply (more than {MAX_DEPTH} levels)"))
        if self.positions or len(path) <= _EAGER:
            dict.setdefault(self.doc._values, path, _pack(event.start_mark.line + 1, event.start_mark.column + 1))
        kind = type(event)
        if kind is yaml.ScalarEvent:
            return self._scalar(_scalar_node(event), path)
        if kind is yaml.SequenceStartEvent:
            out = []
            for event in events:
                if type(event) is yaml.SequenceEndEvent:
                    return out
                out.append(self.node(event, events, path + (len(out),), depth + 1))
        if kind is yaml.MappingStartEvent:
            out: dict = {}
            for event in events:
                if type(event) is yaml.MappingEndEvent:
                    return out
                if type(event) is not yaml.ScalarEvent or event.anchor is not None or event.tag not in (None, "!"):
                    raise _Unusual
                sub = self._key(out, _scalar_node(event), path)
                value = next(events)
                if sub is None:
                    _skip(value, events)
                else:
                    out[sub[-1]] = self.node(value, events, sub, depth + 1)
        raise _Unusual


def _scalar_node(event) -> yaml.ScalarNode:
    """The node the composer would make of a scalar event (without an explicit tag)."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    return yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)


def _skip(event, events) -> None:
    """Consume the events of one node (a duplicate key's value: not read, as in the tree)."""
    if getattr(event, "anchor", None) is not None:
        raise _Unusual  # an alias elsewhere may need it
    if type(event) in (yaml.SequenceStartEvent, yaml.MappingStartEvent):
        level = 1
        for event in events:
            if getattr(event, "anchor", None) is not None:
                raise _Unusual
            if type(event) in (yaml.SequenceStartEvent, yaml.MappingStartEvent):
                level += 1
            elif type(event) in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
                level -= 1
                if not level:
                    return
