"""The compiled pre-check (fastjsonschema, ahead of time) never calls valid what
jsonschema, which words every error, would refuse: whatever is done to a leader."""
from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from test_validate_fuzz import SOURCES, VALUES, paths_in

import yaml

from reconciler import schema
from reconciler.yamlload import Document

DOCS = [yaml.safe_load(text) for text in SOURCES.values()]


def mutate(data, draw):
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in paths_in(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node = data
        for key in path[:-1]:
            node = node[key]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete" and isinstance(node, dict):
            del node[path[-1]]
        elif action == "replace":
            node[path[-1]] = draw(VALUES | st.decimals(allow_nan=False, allow_infinity=False, places=9))
        elif isinstance(node, dict):
            node[draw(st.sampled_from(["zzz", "extends", "ignore", "rate", "code"]))] = draw(VALUES)
    return data


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_check_never_accepts_what_jsonschema_refuses(data):
    doc = mutate(data.draw(st.sampled_from(DOCS)), data.draw)
    if schema.surely_valid_document(doc):
        assert list(schema.errors(doc)) == [], doc
    for entry in (doc.get("leaders") or {}).values() if isinstance(doc, dict) and isinstance(doc.get("leaders"), dict) else ():
        if schema.surely_valid(entry, schema.LEADER):
            assert list(schema.errors(entry, schema.LEADER)) == [], entry


def test_the_fast_check_accepts_the_examples_and_check_then_skips_jsonschema():
    complete = [d for d in DOCS if schema.surely_valid_document(d)]
    assert len(complete) == len(DOCS)
    assert schema.check(Document("x.yaml", data=DOCS[0])) == []
    bad = copy.deepcopy(DOCS[0])
    next(iter(bad["leaders"].values()))["settings"]["profit_sharing"]["rate"] = Decimal("0.123456789")
    assert not schema.surely_valid_document(bad)
    (issue,) = schema.check(Document("x.yaml", data=bad))
    assert issue.path.endswith("settings.profit_sharing.rate")


def test_decimals_written_as_numbers_are_judged_by_the_compiled_check_and_never_rounded():
    from pathlib import Path

    from reconciler import yamlload

    for f in sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.yaml")):
        doc, issues = yamlload.load(f)
        assert not issues and schema.surely_valid_document(doc.data), f  # alt-desks writes rates as numbers
    leader = copy.deepcopy(next(iter(DOCS[0]["leaders"].values())))
    leader["settings"]["profit_sharing"]["rate"] = Decimal("0.1")
    assert schema.surely_valid(leader, schema.LEADER)
    # 31 digits: a rounded quotient would look whole; the compiled check declines, jsonschema refuses
    leader["settings"]["follower_minimums"]["asset"] = Decimal("1234567890123456789012.123456789")
    assert not schema.surely_valid(leader, schema.LEADER)
    assert list(schema.errors(leader, schema.LEADER))


def test_a_decimal_zero_is_zero_to_the_compiled_check_under_a_not():
    """rule referral_rate_positive is `not: {const: 0}`: a Decimal 0 that the compiled check
    took for "not 0" would make a rate of 0 valid."""
    for zero in (Decimal("0"), Decimal("0.000"), 0):
        leader = copy.deepcopy(next(iter(DOCS[0]["leaders"].values())))
        leader["settings"]["referral_sharing"] = {"enabled": True, "rate": zero}
        assert not schema.surely_valid(leader, schema.LEADER), zero
        assert list(schema.errors(leader, schema.LEADER)), zero
