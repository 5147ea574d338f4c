"""yamledit: each edit changes its span and nothing else, byte for byte; what it cannot
change safely is refused, located."""
from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler import spec
from reconciler.yamledit import (EditRefused, Items, Source, apply, delete, deepest_mapping, insert, replace_list, rewrite,
                                 replace_scalar, rfc3339, scalar_text)

DOC = """\
# the desk's leaders   (comment kept)
version: 1
leaders:
  desk:
    settings:
      trade_protection: True      # on since March
      position_type: 'cross'
      profit_sharing:
        rate: "0.08"   # agreed with compliance
        period: weekly
      cooldown: {enabled: true, start: "2026-12-24T00:00:00+02:00", end: 1798243200000}
    symbols: [ BTC-SWAP-USDT, ETH-SWAP-USDT ]

  other:
    symbols:
      - BTC-SWAP-USDT   # first
      - "ETH-SWAP-USDT"
      - SOL-SWAP-USDT   # third
"""

D = ("leaders", "desk")


def edit(text, make):
    src = Source("f.yaml", text)
    out = make(src)
    return apply(text, out if isinstance(out, list) else [out])


def set_value(text, path, codec, value):
    return edit(text, lambda src: replace_scalar(src, path, scalar_text(codec, value, src.node(path))))


def only_change(before: str, after: str, old: str, new: str) -> None:
    """`after` is `before` with exactly one `old` replaced by `new`."""
    assert before.count(old) == 1, old
    assert after == before.replace(old, new)


def test_a_double_quoted_decimal_stays_double_quoted_and_the_comment_stays():
    after = set_value(DOC, D + ("settings", "profit_sharing", "rate"), spec.AMOUNT, Decimal("0.120"))
    only_change(DOC, after, 'rate: "0.08"   # agreed', 'rate: "0.12"   # agreed')


def test_a_single_quoted_word_stays_single_quoted():
    after = set_value(DOC, D + ("settings", "position_type"), spec.POSITION_TYPES, "isolated")
    only_change(DOC, after, "position_type: 'cross'", "position_type: 'isolated'")


def test_a_plain_decimal_stays_plain():
    text = "a: 0.1  # x\n"
    assert set_value(text, ("a",), spec.AMOUNT, Decimal("0.25")) == "a: 0.25  # x\n"


def test_a_switch_keeps_its_spelling():
    after = set_value(DOC, D + ("settings", "trade_protection"), spec.ON_OFF, False)
    only_change(DOC, after, "trade_protection: True ", "trade_protection: False ")
    assert set_value("a: yes\n", ("a",), spec.ON_OFF, False) == "a: no\n"
    assert set_value("a: FALSE\n", ("a",), spec.ON_OFF, True) == "a: TRUE\n"


def test_timestamps_keep_their_style():
    ms = 1798156800000  # 2026-12-25T00:00:00Z
    start = D + ("settings", "cooldown", "start")
    after = set_value(DOC, start, spec.EpochMillis(), ms)
    only_change(DOC, after, '"2026-12-24T00:00:00+02:00"', '"2026-12-25T02:00:00+02:00"')
    after = set_value(DOC, D + ("settings", "cooldown", "end"), spec.EpochMillis(), ms + 1)
    only_change(DOC, after, "end: 1798243200000}", f"end: {ms + 1}}}")
    assert rfc3339(ms + 5) == "2026-12-25T00:00:00.005Z"
    assert spec.parse_timestamp(rfc3339(ms + 5, "2026-01-01T00:00:00-05:30")) == ms + 5


def test_a_flow_list_keeps_its_spacing_and_the_kept_items_their_place():
    after = edit(DOC, lambda src: replace_list(src, D + ("symbols",), ["XRP-SWAP-USDT", "ETH-SWAP-USDT"]))
    only_change(DOC, after, "[ BTC-SWAP-USDT, ETH-SWAP-USDT ]", "[ ETH-SWAP-USDT, XRP-SWAP-USDT ]")
    assert edit("s: [a,b]\n", lambda src: replace_list(src, ("s",), ["b", "c"])) == "s: [b,c]\n"
    assert edit("s: ['a']\n", lambda src: replace_list(src, ("s",), ["a", "0.1"])) == "s: ['a', '0.1']\n"


def test_a_block_list_loses_lines_and_gains_them_at_its_end():
    after = edit(DOC, lambda src: replace_list(src, ("leaders", "other", "symbols"), ["ETH-SWAP-USDT", "SOL-SWAP-USDT", "XRP-SWAP-USDT"]))
    assert after == DOC.replace("      - BTC-SWAP-USDT   # first\n", "").replace(
        "SOL-SWAP-USDT   # third\n", "SOL-SWAP-USDT   # third\n      - \"XRP-SWAP-USDT\"\n")  # like the first kept item
    after = edit(DOC, lambda src: replace_list(src, ("leaders", "other", "symbols"), ["XRP-SWAP-USDT", "LTC-SWAP-USDT"]))
    assert after.endswith("    symbols:\n      - XRP-SWAP-USDT   # first\n      - LTC-SWAP-USDT\n")


def test_an_override_goes_under_the_deepest_mapping_at_its_indentation():
    text = "leaders:\n    desk:\n        extends: std   # shared\n        settings:\n            position_type: cross\n\n# end\n"
    src = Source("f.yaml", text)
    at, missing = deepest_mapping(src, ("leaders", "desk"), ("settings", "profit_sharing", "rate"))
    assert at == ("leaders", "desk", "settings") and missing == ("profit_sharing", "rate")
    after = apply(text, [insert(src, at, {"profit_sharing": {"rate": '"0.1"', "period": "weekly"}})])
    assert after == text.replace("position_type: cross\n", "position_type: cross\n"
                                 "            profit_sharing:\n                rate: \"0.1\"\n                period: weekly\n")


def test_keys_go_into_a_flow_mapping_before_its_brace():
    text = "leaders:\n  desk: {extends: std }  # c\n  b: {}\n"
    src = Source("f.yaml", text)
    edits = [insert(src, ("leaders", "desk"), {"settings": {"trade_protection": "false"}, "symbols": Items(("A", "B"))}),
             insert(src, ("leaders", "b"), {"symbols": Items(("A",), block=True)})]
    assert apply(text, edits) == (
        "leaders:\n  desk: {extends: std, settings: {trade_protection: false}, symbols: [A, B] }  # c\n  b: {symbols: [A]}\n")


def test_a_block_symbol_list_is_inserted_as_a_block():
    text = "desk:\n  extends: std\n"
    src = Source("f.yaml", text)
    assert apply(text, [insert(src, ("desk",), {"symbols": Items(("A", "B"), block=True)})]) == (
        "desk:\n  extends: std\n  symbols:\n    - A\n    - B\n")


def test_delete_block_lines_and_flow_pairs_and_a_mapping_left_empty_goes_with_its_key():
    text = "c:\n  enabled: false\n  start: 1   # gone\n  end: 2\n"
    assert edit(text, lambda src: delete(src, ("c",), {"start"})) == "c:\n  enabled: false\n  end: 2\n"
    text = "c: { enabled: false, start: 1, end: 2 }\n"
    assert edit(text, lambda src: delete(src, ("c",), {"start", "end"})) == "c: { enabled: false }\n"
    text = "c: {a: 1, b: 2, c: 3, d: 4}\n"
    src = Source("f.yaml", text)
    edits = delete(src, ("c",), {"a", "b", "d"}) + [replace_scalar(src, ("c", "c"), "5")]
    assert apply(text, edits) == "c: {c: 5}\n"
    text = "s:\n  x: 1\n  c: {start: 1, end: 2}  # times\n"
    assert edit(text, lambda src: delete(src, ("s", "c"), {"start", "end"}, floor=1)) == "s:\n  x: 1\n"


def test_crlf_and_everything_else_kept():
    text = "a:\r\n  b: '1'\r\n  c: x\r\n"
    src = Source("f.yaml", text)
    after = apply(text, [replace_scalar(src, ("a", "b"), "'2'"), insert(src, ("a",), {"d": "y"})])
    assert after == "a:\r\n  b: '2'\r\n  c: x\r\n  d: y\r\n"


@pytest.mark.parametrize("text, path, words", [
    ("base: &b {rate: '0.1'}\na: *b\n", ("a", "rate"), "anchor and alias"),
    ("base: &b {rate: '0.1'}\na: *b\n", ("base", "rate"), "anchor and alias"),
    ("a: !!str 0.1\n", ("a",), "tag"),
    ("a: |\n  0.1\n", ("a",), "block scalar"),
    ("a: \"0.1\n  \"\n", ("a",), "several lines"),
])
def test_what_cannot_be_edited_safely_is_refused_located(text, path, words):
    src = Source("f.yaml", text)
    with pytest.raises(EditRefused) as e:
        replace_scalar(src, path, "'0.2'")
    assert str(e.value).startswith("f.yaml:") and words in str(e.value)


def test_multi_line_flow_collections_are_refused():
    text = "a: {b: 1,\n  c: 2}\ns: [x,\n  y]\n"
    src = Source("f.yaml", text)
    with pytest.raises(EditRefused, match="f.yaml:1:4: a: cannot edit a flow mapping written over several lines"):
        insert(src, ("a",), {"d": "3"})
    with pytest.raises(EditRefused, match="f.yaml:3:4: s: cannot edit a flow list written over several lines"):
        replace_list(src, ("s",), ["z"])
    # a value inside one is still one span
    assert apply(text, [replace_scalar(src, ("a", "c"), "5")]) == text.replace("c: 2", "c: 5")


def test_deleting_every_key_down_to_the_floor_is_refused():
    src = Source("f.yaml", "c:\n  start: 1\n")
    with pytest.raises(EditRefused, match="f.yaml:2:3: c: removing these keys would leave this mapping empty"):
        delete(src, ("c",), {"start"}, floor=1)


def test_a_mapping_losing_every_key_but_getting_new_ones_keeps_only_the_new_ones():
    text = "s:\n  x: 1\n  c:   # times\n    start: 1\n    end: 2\n# after\n"
    src = Source("f.yaml", text)
    assert apply(text, rewrite(src, ("s", "c"), {"start", "end"}, {"enabled": "false"})) == (
        "s:\n  x: 1\n  c:   # times\n    enabled: false\n# after\n")
    text = "c: {start: 1, end: 2}\n"
    assert apply(text, rewrite(Source("f.yaml", text), ("c",), {"start", "end"}, {"enabled": "false"})) == "c: {enabled: false}\n"
    text = "c: {start: 1, end: 2, x: 3}\n"
    assert apply(text, rewrite(Source("f.yaml", text), ("c",), {"x"}, {"y": "4"})) == "c: {start: 1, end: 2, y: 4}\n"
    text = "c:\n  a: 1\n  b: 2\n"
    assert apply(text, rewrite(Source("f.yaml", text), ("c",), {"b"}, {"y": "4"})) == "c:\n  a: 1\n  y: 4\n"


def test_keys_added_to_an_inner_mapping_and_its_parent_at_the_same_place_stay_in_their_mappings():
    """Found by the refresh property test: cooldown ends where settings ends; its new `end`
    must stay under cooldown when settings also gains referral_sharing."""
    from reconciler.yamledit import Source, apply, insert

    text = "leaders:\n  a:\n    settings:\n      cooldown:\n        enabled: false\n"
    src = Source("x.yaml", text)
    parent = insert(src, ("leaders", "a", "settings"), {"referral_sharing": {"enabled": "false"}})
    inner = insert(src, ("leaders", "a", "settings", "cooldown"), {"end": "1"})
    want = ("leaders:\n  a:\n    settings:\n      cooldown:\n        enabled: false\n        end: 1\n"
            "      referral_sharing:\n        enabled: false\n")
    assert apply(text, [parent, inner]) == want and apply(text, [inner, parent]) == want
