"""Surgical edits of YAML text: change a value where it was written, and nothing else.

The text is composed once more by PyYAML's Python composer, whose marks give every
node's exact span (`Source`). An edit is a span of the text and its replacement
(`Edit`); `apply` makes them all at once, so every byte that no edit covers
(comments, blank lines, key order, quoting, flow or block style) stays as it was.

- `replace_scalar`: a value in its span; a quoted value keeps its quote character, a
  plain one stays plain, a switch keeps its spelling (`True` -> `False`), a timestamp
  keeps its style (RFC 3339 in its own offset, or epoch milliseconds);
- `replace_list`: a list of strings in its style (flow `[a, b]` or block `- a`): the
  items that stay keep their place (and their comments), new ones go at the end;
- `insert`: new keys into a mapping at its indentation (block), or before its `}`
  (flow);
- `delete`: a key that fits on one line, with its line (block) or its comma (flow).

What it cannot change safely it refuses (`EditRefused`, located): a value with an
anchor (`&a`), reached through an alias (`*a`) or with a tag (`!!str`), a block
scalar (`|`, `>`), a value over several lines, a flow collection over several lines.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal

import yaml

from reconciler import spec
from reconciler.errors import LeaderctlError
from reconciler.yamlload import _Loader, dotted

INDENT = 2  # the step of a new nested block mapping when the file shows none


class EditRefused(LeaderctlError):
    """A change that cannot be written safely in place: located, and what to do."""

    def __init__(self, file: str, mark, path: tuple, message: str):
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else f"{file}:1:1"
        super().__init__(f"{where}: {dotted(path)}: {message}" if path else f"{where}: {message}")


class _EditLoader(_Loader):
    """The loader's resolvers; also notes every node written with an anchor, alias or tag."""

    def __init__(self, stream):
        super().__init__(stream)
        self.special: dict[int, str] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            self.special[id(node)] = "it is written once and used twice through a YAML anchor and alias (&name, *name)"
        elif getattr(event, "tag", None) not in (None, "!"):
            self.special.setdefault(id(node), f"it has a YAML tag ({event.tag})")
        return node


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] by `text` (start == end: an insertion)."""

    start: int
    end: int
    text: str


class Source:
    """One file's text and its node tree, with the span of every node."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        loader = _EditLoader(text)
        try:
            self.root = loader.get_single_node()
        finally:
            loader.dispose()
        self.special = loader.special

    def refuse(self, node, path: tuple, message: str) -> EditRefused:
        return EditRefused(self.file, node.start_mark if node is not None else None, path, message)

    def node(self, path: tuple):
        """The node at `path` (keys and list indexes), or None; refused through an anchor, alias or tag."""
        node = self.root
        for depth, key in enumerate(path):
            self._plain(node, path[:depth])
            node = _child(node, key)
            if node is None:
                return None
        self._plain(node, path)
        return node

    def _plain(self, node, path: tuple) -> None:
        why = self.special.get(id(node))
        if why:
            raise self.refuse(node, path, f"cannot edit this safely: {why}; write the value out without it, or edit by hand")

    def one_line(self, node, path: tuple, what: str) -> None:
        if node.start_mark.line != node.end_mark.line:
            raise self.refuse(node, path, f"cannot edit {what} written over several lines: write it on one line, or edit by hand")

    def line_end(self, index: int) -> int:
        """The index of the end of the line holding `index` (before its newline)."""
        end = self.text.find("\n", index)
        if end < 0:
            return len(self.text)
        return end - 1 if end > 0 and self.text[end - 1] == "\r" else end

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1


def _child(node, key):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def apply(text: str, edits: list[Edit]) -> str:
    """Every edit made at once; overlapping edits are a bug of the caller."""
    out, at = [], 0
    for e in sorted(edits, key=_order):
        if e.start < at:
            raise ValueError("overlapping edits")
        out.append(text[at:e.start])
        out.append(e.text)
        at = e.end
    out.append(text[at:])
    return "".join(out)


def _order(e: Edit) -> tuple:
    """By place; block insertions at the same place deepest first: a key added to an inner
    mapping that ends where its parent ends must come before the parent's new keys, or it
    would land under them."""
    depth = len(e.text) - len(e.text.lstrip("\r\n").lstrip(" ")) - (len(e.text) - len(e.text.lstrip("\r\n")))
    return (e.start, e.end, -depth if e.start == e.end else 0)


# --- scalars ----------------------------------------------------------------------------------


def quoted(text: str, style: str | None) -> str:
    """`text` as a YAML scalar in `style`: None plain, "'" or '"'."""
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    return text


_SWITCH_WORDS = {"true": "false", "yes": "no", "on": "off", "y": "n"}
_SWITCH_WORDS.update({v: k for k, v in _SWITCH_WORDS.items()})
_OFFSET = re.compile(r"([Zz]|[+-][0-9]{2}:[0-9]{2})$")


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


def _switch_text(value: bool, was: str) -> str:
    low = was.lower()
    if low in _SWITCH_WORDS and (low in ("true", "yes", "on", "y")) != value:
        return _same_case(_SWITCH_WORDS[low], was)
    return _same_case("true" if value else "false", was) if low in ("true", "false") else ("true" if value else "false")


def rfc3339(ms: int, like: str = "Z") -> str:
    """Epoch millis as RFC 3339 in the style of `like` (its offset and date-time separator),
    with milliseconds when there are any."""
    from datetime import datetime, timedelta, timezone

    zone = _OFFSET.search(like)
    suffix = zone.group() if zone else "Z"
    if suffix in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = -1 if suffix[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(suffix[1:3]), minutes=int(suffix[4:6])))
    text = datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    if len(like) > 10 and like[10] in " t":
        text = text[:10] + like[10] + text[11:]
    return text + suffix


def scalar_text(codec: spec.Codec, value, node=None) -> str:
    """The YAML text of `value` for a setting: in the style of `node` (the value it replaces),
    else as `leaderctl import` writes it (codec.to_yaml)."""
    if node is None:
        return codec.to_yaml(value)
    style, was = node.style, node.value
    if isinstance(codec, spec.Switch):
        return _switch_text(bool(value), was)
    if isinstance(codec, spec.EpochMillis):
        if node.tag == "tag:yaml.org,2002:int":
            return str(value)
        return quoted(rfc3339(value, was), style)
    if isinstance(codec, spec.Amount):
        return quoted(spec.decimal_text(Decimal(value)), style)
    return quoted(str(value), style)


def replace_scalar(src: Source, path: tuple, text: str) -> Edit:
    """The scalar at `path` becomes `text` (already YAML), in its exact span."""
    node = src.node(path)
    if not isinstance(node, yaml.ScalarNode):
        raise src.refuse(node, path, "expected a single value here: edit by hand")
    if node.style in ("|", ">"):
        raise src.refuse(node, path, "cannot edit a block scalar (| or >) safely: write the value on one line, or edit by hand")
    src.one_line(node, path, "a value")
    return Edit(node.start_mark.index, node.end_mark.index, text)


# --- lists ------------------------------------------------------------------------------------


_PLAIN_ITEM = re.compile(spec.SYMBOL_PATTERN)


def item_text(item: str, like=None) -> str:
    """A string list item, quoted like `like` (an item of the list), or plain when it can be."""
    style = like.style if like is not None else None
    if style is None and not _PLAIN_ITEM.fullmatch(item):
        style = '"'
    if style is None and _resolves_other(item):
        style = '"'
    return quoted(item, style)


def _resolves_other(text: str) -> bool:
    """Whether plain `text` would read as something other than that string (a number, true, null)."""
    node = yaml.compose(text, Loader=_Loader)
    return not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and node.value == text)


def merged_items(old: list[str], new: list[str]) -> list[str]:
    """`new` as a list that keeps `old`'s order for the items both have, new ones at the end."""
    wanted = set(new)
    return [i for i in old if i in wanted] + [i for i in new if i not in set(old)]


def replace_list(src: Source, path: tuple, items: list[str]) -> list[Edit]:
    """The list of strings at `path` becomes `items` (order of the kept items kept), in its style."""
    node = src.node(path)
    if not isinstance(node, yaml.SequenceNode) or not all(isinstance(i, yaml.ScalarNode) for i in node.value):
        raise src.refuse(node, path, "expected a list of names here: edit by hand")
    for i, item in enumerate(node.value):
        src.node(path + (i,))
        if item.style in ("|", ">"):
            raise src.refuse(item, path + (i,), "cannot edit a block scalar (| or >) safely: edit by hand")
        src.one_line(item, path + (i,), "a list item")
    if not items:
        raise src.refuse(node, path, "the new list is empty, and a config needs at least one item: edit by hand")
    old = [i.value for i in node.value]
    keep = merged_items(old, items)
    like = next((i for i in node.value if i.value in set(items)), node.value[0] if node.value else None)  # new items look like it
    if node.flow_style:
        return [_flow_list(src, path, node, keep, like)]
    return _block_list(src, node, keep, like)


def _flow_list(src: Source, path: tuple, node, items: list[str], like) -> Edit:
    src.one_line(node, path, "a flow list")
    inner = src.text[node.start_mark.index + 1:node.end_mark.index - 1]
    pad = " " if inner.startswith(" ") and inner.strip() else ""
    sep = "," if node.value and len(node.value) > 1 and re.search(r",\S", inner) else ", "
    by_value = {i.value: i for i in node.value}
    texts = [src.text[by_value[i].start_mark.index:by_value[i].end_mark.index] if i in by_value else item_text(i, like) for i in items]
    return Edit(node.start_mark.index, node.end_mark.index, "[" + pad + sep.join(texts) + pad + "]")


def _block_list(src: Source, node, items: list[str], like) -> list[Edit]:
    edits = []
    wanted = set(items)
    old = {i.value for i in node.value}
    added = [i for i in items if i not in old]
    kept = [i for i in node.value if i.value in wanted]
    if not kept and added:  # every item goes: the first one's line takes the first new item
        first = node.value[0]
        edits.append(Edit(first.start_mark.index, first.end_mark.index, item_text(added.pop(0), like)))
        kept = [first]
    for item in node.value:
        if item.value not in wanted and item is not kept[0]:  # its whole line goes, its comment too
            start = src.line_start(item.start_mark.index)
            end = src.line_end(item.end_mark.index)
            edits.append(Edit(start, min(end + len(src.newline), len(src.text)), ""))
    if added:
        first = node.value[0]
        prefix = src.text[src.line_start(first.start_mark.index):first.start_mark.index]  # "  - "
        at = src.line_end(kept[-1].end_mark.index)
        edits.append(Edit(at, at, "".join(src.newline + prefix + item_text(i, like) for i in added)))
    return edits


# --- new keys ---------------------------------------------------------------------------------


Tree = dict  # key -> YAML text of a scalar, a Tree, or a BlockList


@dataclass(frozen=True)
class Items:
    """A list value to insert: its items' YAML texts, and whether to write it as a block list."""

    texts: tuple[str, ...]
    block: bool = False


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Items):
        return "[" + ", ".join(value.texts) + "]"
    return value


def _block(tree: Tree, indent: int, step: int, newline: str) -> str:
    out = []
    pad = " " * indent
    for key, value in tree.items():
        if isinstance(value, dict):
            out.append(f"{newline}{pad}{key}:" + _block(value, indent + step, step, newline))
        elif isinstance(value, Items) and value.block:
            out.append(f"{newline}{pad}{key}:" + "".join(f"{newline}{pad}{' ' * step}- {t}" for t in value.texts))
        else:
            out.append(f"{newline}{pad}{key}: {_flow(value)}")
    return "".join(out)


def _last_leaf(node):
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _step(root) -> int:
    """The indentation step the file uses for nested block mappings (the first it shows), else INDENT."""
    todo = [root]
    while todo:
        node = todo.pop(0)
        if not isinstance(node, yaml.MappingNode):
            todo += node.value if isinstance(node, yaml.SequenceNode) else []
            continue
        for key, value in node.value:
            if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value and not node.flow_style:
                step = value.value[0][0].start_mark.column - key.start_mark.column
                if step > 0:
                    return step
            todo.append(value)
    return INDENT


def insert(src: Source, path: tuple, tree: Tree, *, after=None) -> Edit:
    """New keys (`tree`, none of them in it yet) into the mapping at `path`: at its end, or
    after the pair `after` (the last one kept when others are removed)."""
    node = src.node(path)
    if not isinstance(node, yaml.MappingNode):
        raise src.refuse(node, path, "expected a mapping here to add keys to: edit by hand")
    if node.flow_style or not node.value:
        src.one_line(node, path, "a flow mapping")
        close = node.end_mark.index - 1
        if src.text[close] != "}":
            raise src.refuse(node, path, "expected a mapping here to add keys to: edit by hand")
        body = _flow(tree)[1:-1]
        if not node.value:
            return Edit(close, close, body)
        at = after[1].end_mark.index if after is not None else len(src.text[:close].rstrip())
        return Edit(at, at, ", " + body)
    leaf = _last_leaf(after[1] if after is not None else node)
    if isinstance(leaf, yaml.ScalarNode) and leaf.style in ("|", ">"):
        raise src.refuse(node, path, "cannot add keys after a block scalar (| or >) safely: edit by hand")
    at = src.line_end(leaf.end_mark.index if leaf.end_mark.index > leaf.start_mark.index else leaf.start_mark.index)
    indent = node.value[0][0].start_mark.column
    return Edit(at, at, _block(tree, indent, _step(src.root), src.newline))


def rewrite(src: Source, path: tuple, remove: set, tree: Tree, floor: int = 0) -> list[Edit]:
    """Remove the keys `remove` of the mapping at `path` and add `tree`, in one go (a mapping
    whose every key goes but that gets new ones stays, with only the new ones)."""
    if not remove:
        return [insert(src, path, tree)] if tree else []
    if not tree:
        return delete(src, path, remove, floor)
    node = src.node(path)
    pairs = node.value if isinstance(node, yaml.MappingNode) else []
    kept = [(k, v) for k, v in pairs if k.value not in {str(r) for r in remove}]
    if kept:
        return delete(src, path, remove) + [insert(src, path, tree, after=kept[-1])]
    for key, value in pairs:
        src.node(path + (key.value,))
        if not _removable(value, key):
            raise src.refuse(key, path + (key.value,), "cannot remove a value written over several lines safely: edit by hand")
    if node.flow_style:
        src.one_line(node, path, "a flow mapping")
        return [Edit(pairs[0][0].start_mark.index, pairs[-1][1].end_mark.index, _flow(tree)[1:-1])]
    start = src.line_start(pairs[0][0].start_mark.index)
    if src.text[start:pairs[0][0].start_mark.index].strip():
        raise src.refuse(pairs[0][0], path, "cannot rewrite a mapping that starts on another key's line: edit by hand")
    end = src.line_end(_last_leaf(node).end_mark.index)
    text = _block(tree, pairs[0][0].start_mark.column, _step(src.root), src.newline)[len(src.newline):]
    return [Edit(start, end, text)]


def deepest_mapping(src: Source, base: tuple, rel: tuple) -> tuple[tuple, tuple]:
    """(path of the deepest mapping written along base + rel, the keys still missing below it)."""
    at = base
    for depth, key in enumerate(rel[:-1]):
        child = src.node(at + (key,))
        if child is None:
            return at, rel[depth:]
        if not isinstance(child, yaml.MappingNode):
            raise src.refuse(child, at + (key,), "expected a mapping here to add keys to: edit by hand")
        at = at + (key,)
    return at, rel[-1:]


# --- removing a key ---------------------------------------------------------------------------


def delete(src: Source, path: tuple, keys: set, floor: int = 0) -> list[Edit]:
    """The `keys` of the mapping at `path`, each with its line (block) or its place in the
    braces (flow); a mapping left empty goes with its own key, up to the mapping at `path[:floor]`."""
    node = src.node(path)
    pairs = node.value if isinstance(node, yaml.MappingNode) else []
    gone = [(k, v) for k, v in pairs if k.value in {str(key) for key in keys}]
    if not gone:
        return []
    if len(gone) == len(pairs):
        if len(path) <= floor:
            raise src.refuse(node, path, "removing these keys would leave this mapping empty: edit by hand")
        return delete(src, path[:-1], {path[-1]}, floor)
    for key, value in gone:
        src.node(path + (key.value,))
        if not _removable(value, key):
            raise src.refuse(key, path + (key.value,), "cannot remove a value written over several lines safely: edit by hand")
    if node.flow_style:  # spans between the pairs only, so that a value kept may be replaced too
        src.one_line(node, path, "a flow mapping")
        first_kept = next(i for i, pair in enumerate(pairs) if pair not in gone)
        edits = [Edit(pairs[0][0].start_mark.index, pairs[first_kept][0].start_mark.index, "")] if first_kept else []
        edits += [Edit(pairs[i - 1][1].end_mark.index, v.end_mark.index, "")  # ", key: value"
                  for i, (k, v) in enumerate(pairs) if i > first_kept and (k, v) in gone]
        return edits
    edits = []
    for key, value in gone:
        start = src.line_start(key.start_mark.index)
        if src.text[start:key.start_mark.index].strip():
            raise src.refuse(key, path + (key.value,), "cannot remove a key that shares its line: edit by hand")
        end = src.line_end(_last_leaf(value).end_mark.index)  # a block mapping below it: all its lines
        edits.append(Edit(start, min(end + len(src.newline), len(src.text)), ""))
    return edits


def _removable(value, key) -> bool:
    """A value on its key's line, or a block collection whose every leaf is on one line."""
    if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and not value.flow_style and value.value:
        items = [v for _, v in value.value] if isinstance(value, yaml.MappingNode) else value.value
        return all(_removable(v, v) for v in items)
    if isinstance(value, yaml.ScalarNode) and value.style in ("|", ">"):
        return False
    return key.start_mark.line == value.end_mark.line
