"""The event-stream reader (yamlload._Streamer) reads exactly what the node tree reads:
the same data, positions and issues, for the examples and for odd but parseable YAML."""
from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import yamlload

ROOT = Path(__file__).resolve().parents[2]
ODD = [
    "version: 1\nleaders:\n  a: {x: 1, x: 2, y: [1, {z: 0100}]}\n  a: 3\n",  # duplicate keys (one with a nested value), leading zero
    "version: 1\n? [complex]\n: 1\n",  # a complex key: left to the tree
    "a: &x {b: 1}\nc: *x\n",  # anchors and aliases: left to the tree
    "a: !!str 1\nb: !!set {x}\n",  # explicit tags: left to the tree
    "a:\n  <<: {b: 1}\n  1: one\n  true: yes\n  ~: null\n  0.5: half\n",  # merge key, non-string keys
    "a: .inf\nb: 1:30\nc: 0x10\nd: 1e400\ne: '0100'\nf: 12345678901234567890123\n",
    "---\na: 1\n---\nb: 2\n",  # two documents
    "",  # empty
    "a: [1, [2, [3, [4]]]]\n" + "b:\n" + "".join(f"  k{i}: v{i}\n" for i in range(50)),
]


def tree(text: str):
    doc = yamlload.Document("t.yaml")
    issues: list = []
    try:
        node = yamlload._compose(text)
    except Exception as e:  # noqa: BLE001 - the tree's own error: the streamer must not read it
        return type(e).__name__
    if node is None:
        return None
    doc.data = yamlload._Builder(doc, issues).build(node, (), 0)
    return doc.data, doc.values, doc.keys, issues


def stream(text: str):
    doc = yamlload.Document("t.yaml")
    issues: list = []
    import yaml

    try:
        doc.data = yamlload._Streamer(doc, issues).document(yaml.parse(text, Loader=yamlload._FastLoader))
    except (yamlload._Unusual, yaml.YAMLError):
        return "unusual"
    return doc.data, doc.values, doc.keys, issues


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.yaml")), ids=lambda p: p.name)
def test_the_examples_read_the_same_from_the_stream_and_the_tree(path):
    text = path.read_text()
    assert stream(text) == tree(text)


@pytest.mark.parametrize("text", ODD)
def test_odd_yaml_reads_the_same_or_is_left_to_the_tree(text):
    got = stream(text)
    if got == "unusual":
        assert any(s in text for s in ("?", "&", "!!", "---")) or text == "", text  # only what the streamer leaves
    else:
        assert got == tree(text)


def test_load_gives_the_same_issues_either_way(tmp_path):
    for i, text in enumerate(ODD):
        f = tmp_path / f"{i}.yaml"
        f.write_text(text)
        doc, issues = yamlload.load(f)
        expected = tree(text)
        if isinstance(expected, tuple):
            where = lambda found: [(i.line, i.col, i.path, i.message) for i in found]  # noqa: E731
            assert (doc.data, where(issues)) == (expected[0], where(expected[3])), text


def test_a_valid_file_reads_its_deep_positions_when_first_asked_and_they_are_the_trees(tmp_path):
    text = (ROOT / "examples" / "desks" / "alt-desks.yaml").read_text()
    f = tmp_path / "alt.yaml"
    f.write_text(text)
    doc, issues = yamlload.load(f)
    assert issues == [] and doc.lazy is not None  # only the top levels' positions so far
    _, values, keys, _ = tree(text)
    deep = max(values, key=len)
    assert doc.value_at(deep) == values[deep] and doc.lazy is None  # read now, from the text
    assert doc.values == values and doc.keys == keys
    doc2, _ = yamlload.load(f)
    assert doc2.has_value(deep) and not doc2.has_value(deep + ("nothing",))
