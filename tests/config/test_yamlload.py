"""The YAML loader: values exactly as written, every position remembered, every
hostile input turned into one located error instead of a crash, a hang or a
memory blow-up. Also how config paths expand to files.
"""
from __future__ import annotations

import sys
import textwrap
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler import yamlload
from reconciler.config import expand, load_desired
from reconciler.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_text(tmp_path: Path, text: str | bytes, name: str = "doc.yaml"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    else:
        path.write_bytes(text)
    doc, issues = yamlload.load(path)
    return path, doc, [str(i) for i in issues]


def config_errors(*paths) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_desired(list(paths))
    return [str(i) for i in info.value.issues]


# --- values -----------------------------------------------------------------------------


def test_decimals_are_exact_never_binary_floats(tmp_path):
    _, doc, issues = load_text(tmp_path, "a: 0.1\nb: 0.10\nc: 1_000.5\nd: -2.50\ne: 1.5e+3\nf: .5\n")
    assert issues == []
    data = doc.data
    assert all(type(v) is Decimal for v in data.values())
    assert str(data["a"]) == "0.1" and data["a"] == Decimal("0.1")
    assert data["b"] == Decimal("0.1")  # compared by value
    assert data["c"] == Decimal("1000.5")
    assert data["d"] == Decimal("-2.5")
    assert data["e"] == Decimal(1500)
    assert data["f"] == Decimal("0.5")
    assert data["a"] + Decimal("0.2") == Decimal("0.3")  # would fail with binary floats


def test_scalars_keep_their_yaml_types(tmp_path):
    _, doc, issues = load_text(tmp_path, "i: 42\nneg: -7\nb: true\nn: ~\ns: hello\nq: '0.1'\nk: 1e5\n")
    assert issues == []
    assert doc.data == {"i": 42, "neg": -7, "b": True, "n": None, "s": "hello", "q": "0.1", "k": "1e5"}
    assert type(doc.data["i"]) is int and doc.data["b"] is True


def test_timestamps_stay_the_strings_written(tmp_path):
    _, doc, issues = load_text(tmp_path, "t: 2026-12-24T00:00:00Z\nd: 2026-12-24\no: 2026-12-24 08:00:00+08:00\n")
    assert issues == []
    assert doc.data == {"t": "2026-12-24T00:00:00Z", "d": "2026-12-24", "o": "2026-12-24 08:00:00+08:00"}
    assert all(type(v) is str for v in doc.data.values())


def test_utf8_bom_is_accepted(tmp_path):
    _, doc, issues = load_text(tmp_path, b"\xef\xbb\xbfversion: 1\n")
    assert (doc.data, issues) == ({"version": 1}, [])


def test_alias_of_a_small_node_is_expanded(tmp_path):
    _, doc, issues = load_text(tmp_path, "a: &x {b: 1}\nc: *x\n")
    assert (doc.data, issues) == ({"a": {"b": 1}, "c": {"b": 1}}, [])


# --- positions ---------------------------------------------------------------------------


def test_positions_of_keys_and_values(tmp_path):
    _, doc, _ = load_text(
        tmp_path,
        """\
        version: 1
        leaders:
          desk:
            symbols: [BTC, ETH]
            list:
              - x
        """,
    )
    assert doc.keys[("leaders", "desk")] == (3, 3)
    assert doc.values[("version",)] == (1, 10)
    assert doc.values[("leaders", "desk")] == (4, 5)
    assert doc.values[("leaders", "desk", "symbols", 1)] == (4, 20)
    assert doc.values[("leaders", "desk", "list", 0)] == (6, 9)
    # an unwritten path is located at its closest written parent
    assert doc.value_at(("leaders", "desk", "settings", "cooldown")) == (4, 5)
    assert doc.key_at(("leaders", "desk", "nope")) == (4, 5)


def test_dotted_paths():
    assert yamlload.dotted(("leaders", "desk", "symbols", 1)) == "leaders.desk.symbols[1]"
    assert yamlload.dotted(("a", 0, 2, "b")) == "a[0][2].b"
    assert yamlload.dotted(()) == ""


# --- duplicate keys -------------------------------------------------------------------------


def test_duplicate_key_is_an_error_at_the_second_key(tmp_path):
    path, doc, issues = load_text(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert issues == [f"{path}:3:1: a: duplicate key 'a' (first written at line 1): keep one"]
    assert doc.data["a"] == 1  # the first one is kept, not silently overwritten


def test_nested_duplicate_key_in_a_config(tmp_path):
    text = (EXAMPLES / "desk-btc.yaml").read_text()
    text = text.replace("        rate: \"0.1\"\n", "        rate: \"0.1\"\n        rate: \"0.2\"\n")
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    first = text.splitlines().index('        rate: "0.1"') + 1
    assert config_errors(path) == [
        f"{path}:{first + 1}:9: leaders.desk-btc.settings.profit_sharing.rate: duplicate key 'rate' (first written at line {first}): keep one"
    ]


def test_duplicate_key_does_not_hide_other_errors_in_the_file(tmp_path):
    text = (EXAMPLES / "desk-btc.yaml").read_text().replace("position_type: cross", "position_type: margin")
    text = text.replace("version: 1\n", "version: 1\nversion: 1\n")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    errors = config_errors(path)
    assert len(errors) == 2
    assert "version: duplicate key 'version'" in errors[0]
    assert "leaders.desk-btc.settings.position_type: must be one of" in errors[1]


# --- numbers that are not numbers ---------------------------------------------------------


@pytest.mark.parametrize("text", [".inf", "-.inf", "+.INF", ".nan", ".NaN"])
def test_infinity_and_nan_are_rejected(tmp_path, text):
    path, doc, issues = load_text(tmp_path, f"x: 1\nrate: {text}\n")
    assert issues == [f"{path}:2:7: rate: {text} is not a finite number"]


def test_huge_integer_is_an_error_not_a_crash(tmp_path):
    limit = sys.get_int_max_str_digits()  # 4300 by default
    path, doc, issues = load_text(tmp_path, f"ok: {'9' * limit}\nbig: {'9' * 5000}\n")
    assert doc.data["ok"] == int("9" * limit)
    assert issues == [f"{path}:2:6: big: number too large"]


@pytest.mark.parametrize("text", ["1.0e+999999", "1.0e-999999", "9" * 5000 + ".5", "0." + "0" * 2000 + "1"])
def test_huge_decimal_is_an_error(tmp_path, text):
    path, _, issues = load_text(tmp_path, f"rate: {text}\n")
    assert issues == [f"{path}:1:7: rate: number out of range"]


def test_1e999999_is_text_in_yaml_1_1_and_the_schema_rejects_it(tmp_path):
    _, doc, issues = load_text(tmp_path, "rate: 1e999999\n")
    assert (doc.data, issues) == ({"rate": "1e999999"}, [])
    text = (EXAMPLES / "desk-btc.yaml").read_text().replace('rate: "0.1"', "rate: 1e999999")
    (tmp_path / "c.yaml").write_text(text)
    [error] = config_errors(tmp_path / "c.yaml")
    assert "leaders.desk-btc.settings.profit_sharing.rate: must be a share from 0 to 1" in error


def test_sexagesimal_float_is_rejected_without_echoing_it(tmp_path):
    path, _, issues = load_text(tmp_path, "code: 12:34:56.78\n")
    assert len(issues) == 1 and issues[0].startswith(f"{path}:1:7: code: ")
    assert "12:34:56.78" not in issues[0].removeprefix(f"{path}:1:7: code: ")


# --- YAML features that are refused ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, position, fragment",
    [
        ("a: !!python/object/apply:os.system [echo hi]\n", "1:4: a", "unsupported YAML tag"),
        ("a: !!set {x, y}\n", "1:4: a", "unsupported YAML tag 'tag:yaml.org,2002:set'"),
        ("a: !!omap [x: 1]\n", "1:4: a", "unsupported YAML tag 'tag:yaml.org,2002:omap'"),
        ("a: !!binary aGVsbG8=\n", "1:4: a", "unsupported YAML tag"),
        ("a: !custom x\n", "1:4: a", "unsupported YAML tag '!custom'"),
        ("a: 1\n<<: {b: 2}\n", "2:1", "YAML merge keys (<<) are not supported"),
        ("? [1, 2]\n: 3\n", "1:3", "a key must be a plain string"),
    ],
)
def test_refused_yaml_features(tmp_path, text, position, fragment):
    path, _, issues = load_text(tmp_path, text)
    assert len(issues) == 1 and issues[0].startswith(f"{path}:{position}: ") and fragment in issues[0], issues


# --- broken files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, position, fragment",
    [
        ("a: b: c\n", "1:5", "mapping values are not allowed here"),
        ("a: [1, 2\n", "2:1", "expected ',' or ']'"),
        ("a: 1\n\tb: 2\n", "2:1", "found character '\\t' that cannot start any token"),
        ("a: 1\nb: \"unterminated\n", "3:1", "found unexpected end of stream"),
        ("a: 1\n---\nb: 2\n", "2:1", "found another document"),
        ("a: *nowhere\n", "1:4", "found undefined alias"),
    ],
)
def test_yaml_syntax_errors_are_located(tmp_path, text, position, fragment):
    path, doc, issues = load_text(tmp_path, text)
    assert doc.data is None
    assert len(issues) == 1 and issues[0].startswith(f"{path}:{position}: YAML syntax error: ") and fragment in issues[0], issues


def test_syntax_error_in_the_middle_of_a_config(tmp_path):
    lines = (EXAMPLES / "desk-btc.yaml").read_text().splitlines()
    n = lines.index("      position_type: cross")
    lines[n] = "      position_type: cross: isolated"
    (tmp_path / "bad.yaml").write_text("\n".join(lines) + "\n")
    [error] = config_errors(tmp_path / "bad.yaml")
    assert error.startswith(f"{tmp_path / 'bad.yaml'}:{n + 1}:27: YAML syntax error: mapping values are not allowed here")


@pytest.mark.parametrize("text", ["", "\n\n", "   \n\t\n", "# only a comment\n\n# another\n"])
def test_empty_files(tmp_path, text):
    path, _, issues = load_text(tmp_path, text)
    assert issues == [f"{path}:1:1: file is empty: expected a mapping with `version: 1` and `leaders:`"]


def test_an_empty_document_is_not_a_config(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing but a document start\n---\n")
    [error] = config_errors(path)
    assert error.startswith(f"{path}:") and error.endswith(": expected a mapping with `version: 1` and `leaders:` at the top, got an empty value")


def test_binary_file(tmp_path):
    path, _, issues = load_text(tmp_path, b"\x7fELF\x02\x01\x01\x00\x00\x00version: 1\n")
    assert issues == [f"{path}:1:1: binary file (contains NUL bytes): expected a YAML text file"]


def test_non_utf8_file_is_located_at_the_bad_line(tmp_path):
    path, _, issues = load_text(tmp_path, "version: 1\nleaders:\n  caf\xe9: {}\n".encode("latin-1"))
    assert issues == [f"{path}:3:1: not UTF-8 text: save the file as UTF-8"]


def test_unreadable_path(tmp_path):
    doc, issues = yamlload.load(tmp_path)  # a directory is not a file
    assert len(issues) == 1 and str(issues[0]).startswith(f"{tmp_path}:1:1: cannot read file")


def test_file_larger_than_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * yamlload.MAX_BYTES + "\nversion: 1\n")
    _, issues = yamlload.load(path)
    assert [str(i) for i in issues] == [f"{path}:1:1: file is larger than 5 MiB: not a leader config"]


@pytest.mark.parametrize(
    "text, kind",
    [("- 1\n- 2\n", "a list"), ("hello\n", "a string"), ("42\n", "an integer"), ("~\n", "an empty value"), ("0.5\n", "a decimal number")],
)
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    path = tmp_path / "top.yaml"
    path.write_text(text)
    assert config_errors(path) == [f"{path}:1:1: expected a mapping with `version: 1` and `leaders:` at the top, got {kind}"]


# --- hostile documents: fast, bounded, located -------------------------------------------------


def _bounded(fn):
    """Run fn; return its result, the seconds and the peak MiB it took."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
        "a:\n" + "- " * 5000 + "x\n",  # block sequences, each nested in the one before
    ],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_very_deep_nesting(tmp_path, text):
    started = time.perf_counter()
    _, _, issues = load_text(tmp_path, text)
    assert time.perf_counter() - started < 5
    assert len(issues) == 1 and "nested too deeply (more than 50 levels)" in issues[0], issues


def test_nesting_limit_is_located(tmp_path):
    path, _, ok = load_text(tmp_path, "a: " + "[" * 49 + "]" * 49 + "\n")
    assert ok == []
    path, _, issues = load_text(tmp_path, "a: " + "[" * 60 + "]" * 60 + "\n")
    assert issues == [f"{path}:1:54: a{'[0]' * 50}: nested too deeply (more than 50 levels)"]


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast_without_eating_memory(tmp_path):
    # 9**9 = 387 million strings if the aliases were expanded
    (path, doc, issues), seconds, peak_mib = _bounded(lambda: load_text(tmp_path, billion_laughs()))
    assert seconds < 3, seconds
    assert peak_mib < 100, peak_mib
    assert len(issues) == 1 and "aliases (*name) expand to more than 100000 values" in issues[0]
    assert issues[0].startswith(f"{path}:")


def test_billion_laughs_inside_a_config(tmp_path):
    text = (EXAMPLES / "desk-btc.yaml").read_text() + "    followers2: " + "\n"
    bomb = billion_laughs().replace("\n", "\n  ")
    text = "lol:\n  " + bomb + text
    (tmp_path / "bomb.yaml").write_text(text)
    errors, seconds, _ = _bounded(lambda: config_errors(tmp_path / "bomb.yaml"))
    assert seconds < 3
    assert len(errors) == 1 and "aliases (*name) expand to more than" in errors[0]


def test_many_small_aliases_below_the_limit_are_fine(tmp_path):
    _, doc, issues = load_text(tmp_path, billion_laughs(4))  # 9**4 = 6561 values
    assert issues == []
    assert len(doc.data["l3"]) == 9 and doc.data["l3"][0][0][0] == ["lol"] * 9


# --- paths -> files -------------------------------------------------------------------------------


def test_directory_expands_to_yaml_files_below_it_sorted(tmp_path):
    for name in ["b.yml", "a.yaml", "sub/c.yaml", "sub/deeper/d.yml", "notes.txt", "x.json", "README.md", "e.YAML.bak", "yaml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "dir.yaml").mkdir()  # a directory named like a file is not a file
    files, issues = expand([tmp_path])
    assert issues == []
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.yaml", "b.yml", "sub/c.yaml", "sub/deeper/d.yml"]


def test_files_are_kept_in_the_order_given_and_deduplicated(tmp_path):
    (tmp_path / "z.yaml").write_text("x: 1\n")
    (tmp_path / "a.yaml").write_text("x: 1\n")
    files, issues = expand([tmp_path / "z.yaml", tmp_path, tmp_path / "a.yaml"])
    assert issues == []
    assert [f.name for f in files] == ["z.yaml", "a.yaml"]


def test_a_file_named_explicitly_need_not_end_in_yaml(tmp_path):
    (tmp_path / "leaders.conf").write_text("x: 1\n")
    files, issues = expand([tmp_path / "leaders.conf"])
    assert (files, issues) == ([tmp_path / "leaders.conf"], [])


def test_nonexistent_path(tmp_path):
    missing = tmp_path / "missing.yaml"
    files, issues = expand([missing])
    assert files == [] and [str(i) for i in issues] == [f"{missing}: no such file or directory"]


def test_directory_without_yaml(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    files, issues = expand([tmp_path])
    assert files == [] and [str(i) for i in issues] == [f"{tmp_path}: no *.yaml or *.yml files in this directory"]


def test_examples_load_to_the_model():
    desired = load_desired([EXAMPLES])
    assert sorted(desired.leaders) == ["alt-private", "alt-public", "desk-btc", "eth-desk", "fleet-a", "fleet-b", "fleet-c"]
    assert [f.relative_to(EXAMPLES).as_posix() for f in desired.files] == [
        "desk-btc.yaml", "desks/alt-desks.yaml", "desks/eth-desk.yaml", "fleet/desks.yaml", "fleet/profiles.yaml", "policy.yaml",
    ]  # fmt: skip
    assert [w.schedule for w in desired.policy.windows] == ["0 7 * * *", "0 7 * * 1"]
    eth = desired.leaders["eth-desk"].settings
    assert eth.profit_rate == Decimal("0.08") and type(eth.profit_rate) is Decimal
    assert eth.follower_min_asset == Decimal(50) and eth.follower_min_fixed_rate == Decimal("5.5")
    alt = desired.leaders["alt-private"].settings
    assert (alt.cooldown_start, alt.cooldown_end) == (1798761600000, 1799366400000)
    assert desired.leaders["alt-public"].settings.cooldown_end == 1798732800000  # 2027-01-01T00:00:00+08:00
