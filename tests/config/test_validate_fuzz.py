"""Property-based: whatever a user (or a bad merge) does to a valid config,
`leaderctl validate` answers 0 or 1, never crashes, and every error it prints is
`FILE:LINE:COL: ...` pointing inside the file, sorted, without the invite code.

The inputs are the example configs, mutated at the data level (delete a key, add
an unknown key, put a value of another type anywhere) and then at the text level
(duplicate a line, truncate, insert characters, write a tricky YAML literal).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
# complete leaders only (the fleet's leaders extend profiles of another file)
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.yaml")) if "fleet" not in p.parts and p.name != "policy.yaml"}  # files with leaders of their own
SECRET = "ALTPRV26"  # the invite code written in examples/desks/alt-desks.yaml
assert SECRET in SOURCES["alt-desks.yaml"]

LOCATED = re.compile(r"^([^:]+):(\d+):(\d+): ")

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
TRICKY_STRINGS = [
    "", " ", "0", "-1", "0.1", "1e5", "true", "null", "~", "中文中文中文", "2026-13-01T00:00:00Z",
    "2026-12-24T00:00:00", "1970-01-01T00:00:00Z", "all", "weekly", "BTC-SWAP-USDT", "ÄÖÜ", "\t", "a\nb", "'", '"',
]  # fmt: skip
NEAR_MISS_KEYS = ["rates", "symbol", "enable", "end", "start", "code", "code_env", "scope", "leaders", "version", "<<"]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.sampled_from([0, 1, -1, 2**63, 2**63 - 1, 10**4000, 253402300799999, 253402300800000]),
    st.floats(),
    TEXT,
    st.sampled_from(TRICKY_STRINGS),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6)
RAW_LITERALS = [
    "9" * 5000, "-" + "9" * 5000, "1.0e+999999", "1e999999", ".inf", "-.inf", ".nan", "0x1F", "0o17", "017", "1:30",
    "12:34:56.78", "1_000.5", "!!binary aGk=", "!!python/object/apply:os.system [x]", "!!set {a}", "!custom x",
    "*undefined", "&anchor x", "&a [*a]", "{", "[", "]", "}", "'unterminated", '"unterminated', '"\\x"', "|", ">-",
    "? x", "- x", "@x", "`x", "%x", "{a: 1, a: 2}", "[" * 200 + "]" * 200, "2026-12-24", "2026-12-24T00:00:00Z",
]  # fmt: skip
INSERTED = st.text(st.sampled_from(list(":-{}[]&*!|>'\"#%@`?,\t\n\x00 \u3000中aZ09.")), min_size=1, max_size=6)


def paths_in(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths_in(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths_in(value, prefix + (i,))


def at(node, path):
    for p in path:
        node = node[p]
    return node


def mutate_data(draw, data):
    kind = draw(st.sampled_from(["delete", "add", "replace"]))
    paths = list(paths_in(data))
    if kind == "add":
        path = draw(st.sampled_from([p for p in paths if isinstance(at(data, p), dict)]))
        at(data, path)[draw(st.sampled_from(NEAR_MISS_KEYS) | TEXT)] = draw(VALUES)
        return
    if len(paths) == 1:  # everything was deleted already
        return
    path = draw(st.sampled_from(paths[1:]))
    parent, last = at(data, path[:-1]), path[-1]
    if kind == "delete":
        del parent[last]
    else:
        parent[last] = draw(VALUES)


def mutate_text(draw, text: str) -> str:
    kind = draw(st.sampled_from(["duplicate-line", "truncate", "insert", "literal"]))
    lines = text.splitlines(keepends=True) or ["\n"]
    if kind == "duplicate-line":
        line = draw(st.sampled_from(lines))
        where = draw(st.integers(0, len(lines)))
        return "".join(lines[:where] + [line if line.endswith("\n") else line + "\n"] + lines[where:])
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "insert":
        where = draw(st.integers(0, len(text)))
        return text[:where] + draw(INSERTED) + text[where:]
    values = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w-]+: \S", line)]
    if not values:
        return text
    i = draw(st.sampled_from(values))
    key = lines[i].split(": ", 1)[0]
    lines[i] = f"{key}: {draw(st.sampled_from(RAW_LITERALS))}\n"
    return "".join(lines)


@st.composite
def mutated_configs(draw) -> str:
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name]
    if draw(st.booleans()):
        data = copy.deepcopy(yaml.safe_load(text))
        for _ in range(draw(st.integers(1, 3))):
            mutate_data(draw, data)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(0 if text != SOURCES[name] else 1, 2))):
        text = mutate_text(draw, text)
    return text


def validate(path: Path):
    # LEADERCTL_DEBUG: an unexpected exception propagates (and fails the test)
    # instead of becoming the CLI's one-line "internal error".
    return CliRunner().invoke(cli, ["validate", str(path)], env={"LEADERCTL_DEBUG": "1"}, catch_exceptions=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_answer(path: Path, text: str):
    result = validate(path)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert result.stdout.startswith("valid: ") and result.stderr == ""
        return
    lines = result.stderr.splitlines()
    assert lines, "exit 1 without a message"
    n_lines = len(text.splitlines()) + 1  # splitlines knows every YAML line break (\r, \x85, \u2028...)
    keys = []
    for line in lines:
        m = LOCATED.match(line)
        assert m, f"not located: {line!r}"
        assert m[1] == str(path)
        assert 1 <= int(m[2]) <= n_lines and int(m[3]) >= 1, line
        keys.append((int(m[2]), int(m[3])))
    assert keys == sorted(keys)
    assert SECRET not in result.output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=mutated_configs())
def test_mutated_examples_get_an_answer_never_a_crash(workdir, text):
    path = workdir / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    check_answer(path, text)


VALID_CHOICES = {
    ("settings", "position_type"): st.sampled_from(["all", "cross", "isolated"]),
    ("settings", "trade_protection"): st.booleans(),
    ("settings", "profit_sharing", "period"): st.sampled_from(["daily", "weekly"]),
    ("settings", "profit_sharing", "rate"): st.sampled_from(["0", "0.1", "0.10", "0.125", "1"]),
    ("settings", "follower_minimums", "asset"): st.integers(0, 10**12) | st.sampled_from(["0", "5.5", "100"]),
    ("settings", "invite", "scope"): st.integers(0, 2**31 - 1),
    ("symbols",): st.lists(st.from_regex(r"[A-Z0-9]{1,5}-SWAP-USDT", fullmatch=True), min_size=1, max_size=4, unique=True),
    ("followers",): st.fixed_dictionaries({"remove": st.lists(st.integers(1, 2**63 - 1), max_size=3, unique=True)}),
}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_valid_values_anywhere_stay_valid(workdir, data):
    name = data.draw(st.sampled_from(sorted(SOURCES)))
    config = yaml.safe_load(SOURCES[name])
    for leader in config["leaders"].values():
        for path, strategy in VALID_CHOICES.items():
            if data.draw(st.booleans()):
                at(leader, path[:-1])[path[-1]] = data.draw(strategy)
    path = workdir / "valid.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=data.draw(st.booleans())), encoding="utf-8")
    result = validate(path)
    assert (result.exit_code, result.stderr) == (0, ""), path.read_text()
