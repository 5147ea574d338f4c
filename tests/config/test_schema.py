"""The JSON Schema itself: valid 2020-12, strict in the way ajv's strict mode is,
and read the same way by an independent implementation (jsonschema_rs, Rust).
"""
from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest

from reconciler import schema as leader_schema
from reconciler import yamlload
from reconciler.config import load_desired
from reconciler.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "leaders.schema.json"
EXAMPLE_FILES = sorted((ROOT / "examples").rglob("*.yaml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rust(schema):
    return jsonschema_rs.validator_for(schema)


# --- the schema file -------------------------------------------------------------------------


def test_schema_file_is_json_without_duplicate_keys():
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
        return dict(pairs)

    json.loads(SCHEMA_FILE.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


def test_the_package_ships_the_same_schema(schema):
    assert leader_schema.generate() == schema
    assert leader_schema.schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")


def test_schema_declares_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator


def test_schema_is_valid_for_the_python_metaschema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_is_valid_for_the_rust_implementation(schema, rust):
    jsonschema_rs.meta.validate(schema)
    assert isinstance(rust, jsonschema_rs.Draft202012Validator)


# --- ajv-style strictness ---------------------------------------------------------------------

KEYWORDS_2020_12 = {
    # core
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
    # applicator
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items",
    "contains", "properties", "patternProperties", "additionalProperties", "propertyNames",
    # unevaluated
    "unevaluatedItems", "unevaluatedProperties",
    # validation
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired",
    # meta-data, format, content
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "format", "contentEncoding", "contentMediaType", "contentSchema",
}  # fmt: skip

# keywords whose value is: a map of name -> schema; a list of schemas; one schema
NAMED_SCHEMAS = {"properties", "patternProperties", "$defs", "dependentSchemas"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
ONE_SCHEMA = {"not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames",
              "unevaluatedItems", "unevaluatedProperties", "contentSchema"}  # fmt: skip
# applicators whose subschemas apply to the same instance as their parent
IN_PLACE = {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"}

TYPE_OF_KEYWORD = {
    **dict.fromkeys(["properties", "required", "additionalProperties", "propertyNames", "minProperties", "maxProperties", "patternProperties"], "object"),
    **dict.fromkeys(["items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"], "array"),
    **dict.fromkeys(["pattern", "minLength", "maxLength", "format"], "string"),
    **dict.fromkeys(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"], "number"),
}


def walk(node, pointer="#", owner=None):
    """Yield (pointer, subschema, owner): owner is the nearest enclosing schema that
    describes the instance itself (not an in-place applicator branch)."""
    if not isinstance(node, dict):
        return
    owner = owner if owner is not None else node
    yield pointer, node, owner
    for keyword, value in node.items():
        inherit = owner if keyword in IN_PLACE else None
        if keyword in NAMED_SCHEMAS:
            for name, sub in value.items():
                yield from walk(sub, f"{pointer}/{keyword}/{name}", owner if keyword == "dependentSchemas" else None)
        elif keyword in SCHEMA_LISTS:
            for i, sub in enumerate(value):
                yield from walk(sub, f"{pointer}/{keyword}/{i}", inherit)
        elif keyword in ONE_SCHEMA:
            yield from walk(value, f"{pointer}/{keyword}", inherit)


def resolve(schema: dict, ref: str):
    assert ref.startswith("#/"), f"only local references expected: {ref}"
    node = schema
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def test_walker_sees_every_subschema(schema):
    pointers = [p for p, _, _ in walk(schema)]
    assert "#/$defs/cooldown/allOf/1/then/properties/start" in pointers
    assert "#/properties/leaders/propertyNames" in pointers
    assert len(pointers) == len(set(pointers)) > 50


def test_every_keyword_is_a_2020_12_keyword(schema):
    unknown = {(p, k) for p, node, _ in walk(schema) for k in node if k not in KEYWORDS_2020_12}
    assert unknown == set()


def test_every_object_schema_is_closed(schema):
    for pointer, node, owner in walk(schema):
        if "properties" in node and node is owner:
            assert node.get("type") == "object", f"{pointer}: properties without type: object"
            assert node.get("additionalProperties") is False, f"{pointer}: properties without additionalProperties: false"


def test_every_required_and_conditional_property_is_declared(schema):
    for pointer, node, owner in walk(schema):
        declared = set(node.get("properties", {})) | set(owner.get("properties", {}))
        for name in node.get("required", []):
            assert name in declared, f"{pointer}: required {name!r} is not declared in properties"
        assert len(node.get("required", [])) == len(set(node.get("required", []))), pointer
        if node is not owner:  # an if/then/not branch may only talk about declared properties
            for name in node.get("properties", {}):
                assert name in owner.get("properties", {}), f"{pointer}: {name!r} is not a property of its object"


def test_type_specific_keywords_have_their_type(schema):
    """ajv strictTypes: `pattern` needs type string, `minimum` a number type, ..."""
    for pointer, node, owner in walk(schema):
        types = node.get("type", owner.get("type"))
        types = set(types) if isinstance(types, list) else {types}
        for keyword, needs in TYPE_OF_KEYWORD.items():
            if keyword in node:
                wanted = {"number", "integer"} if needs == "number" else {needs}
                assert types & wanted, f"{pointer}: {keyword!r} without type {needs}"


def test_every_ref_resolves_and_every_def_is_used(schema):
    refs = {node["$ref"] for _, node, _ in walk(schema) if "$ref" in node}
    for ref in refs:
        assert isinstance(resolve(schema, ref), dict), ref
    assert {f"#/$defs/{name}" for name in schema["$defs"]} == refs


def test_enums_are_unique_and_patterns_compile(schema):
    for pointer, node, _ in walk(schema):
        if "enum" in node:
            assert len(node["enum"]) == len(set(map(json.dumps, node["enum"]))), pointer
        if "pattern" in node:
            re.compile(node["pattern"])
            assert node["pattern"].startswith("^") and node["pattern"].endswith("$"), f"{pointer}: unanchored pattern"


# --- both implementations agree ----------------------------------------------------------------


def to_json(value):
    """The loader's data as plain JSON data (Decimal -> float) for jsonschema_rs."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def example_data(name: str = "desk-btc.yaml") -> dict:
    doc, issues = yamlload.load(ROOT / "examples" / name)
    assert issues == []
    return doc.data


def mutate(data: dict, path: str, value) -> dict:
    """A copy of data with the dotted path set to value (DELETE removes it)."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()
L = "leaders.desk-btc."
S = L + "settings."

SCHEMA_INVALID = {
    "version 2": ("version", 2),
    "version as text": ("version", "1"),
    "no version": ("version", DELETE),
    "no leaders": ("leaders", DELETE),
    "leaders empty": ("leaders", {}),
    "leaders a list": ("leaders", []),
    "bad leader name": ("leaders", {"Desk": example_data()["leaders"]["desk-btc"]}),
    "unknown top key": ("zzz", 1),
    "unknown leader key": (L + "symbol", ["X"]),
    "unknown settings key": (S + "rates", 1),
    "unknown cooldown key": (S + "cooldown.ends", 1),
    "no settings": (L + "settings", DELETE),
    "no symbols": (L + "symbols", DELETE),
    "no invite": (S + "invite", DELETE),
    "no rate": (S + "profit_sharing.rate", DELETE),
    "position type": (S + "position_type", "margin"),
    "trade protection as text": (S + "trade_protection", "yes"),
    "period": (S + "profit_sharing.period", "monthly"),
    "negative rate": (S + "profit_sharing.rate", Decimal("-1")),
    "rate text": (S + "profit_sharing.rate", "abc"),
    "rate exponent text": (S + "profit_sharing.rate", "1e5"),
    "rate bool": (S + "profit_sharing.rate", True),
    "asset null": (S + "follower_minimums.asset", None),
    "enabled without end": (S + "cooldown.end", DELETE),
    "end 0": (S + "cooldown.end", 0),
    "end without zone": (S + "cooldown.end", "2026-12-26T00:00:00"),
    "end decimal": (S + "cooldown.end", Decimal("1.5")),
    "end negative": (S + "cooldown.end", -1),
    "end after year 9999": (S + "cooldown.end", 253402300800000),
    "disabled with start": (S + "cooldown.enabled", False),
    "referral too big": (S + "referral_sharing.rate", "1.01"),
    "referral too big number": (S + "referral_sharing.rate", Decimal("1.01")),
    "referral too precise": (S + "referral_sharing.rate", "0.000000001"),
    "referral too precise number": (S + "referral_sharing.rate", Decimal("0.000000001")),
    "referral 0": (S + "referral_sharing.rate", 0),
    "referral 0.00": (S + "referral_sharing.rate", "0.00"),
    "referral without rate": (S + "referral_sharing.rate", DELETE),
    "code too short": (S + "invite", {"required": True, "scope": 1, "code": "ABCDE"}),
    "code too long": (S + "invite", {"required": True, "scope": 1, "code": "ABCDEFGHIJK"}),
    "code and code_env": (S + "invite", {"required": True, "scope": 1, "code": "ABCDEFG", "code_env": "X"}),
    # the schema says what `inviteCode is processed only when isNeedInvite=1` means for a config
    "code without required": (S + "invite", {"required": False, "scope": 1, "code": "ABCDEFG"}),
    "code_env without required": (S + "invite", {"required": False, "scope": 1, "code_env": "X"}),
    # at most 8 decimal places for every decimal (issue 13: a 9-place rate passed validate)
    "rate 9 places": (S + "profit_sharing.rate", "0.123456789"),
    "asset 9 places number": (S + "follower_minimums.asset", Decimal("1.000000001")),
    "scope text": (S + "invite.scope", "2"),
    "scope negative": (S + "invite.scope", -1),
    "scope fraction": (S + "invite.scope", Decimal("2.5")),
    "follower 0": (L + "followers.remove", [0]),
    "follower text": (L + "followers.remove", ["5"]),
    "follower duplicate": (L + "followers.remove", [5, 5]),
    "follower above int64": (L + "followers.remove", [2**63]),
    "symbols empty": (L + "symbols", []),
    "symbols duplicate": (L + "symbols", ["BTC-SWAP-USDT", "BTC-SWAP-USDT"]),
    "symbol empty": (L + "symbols", [""]),
    "symbol number": (L + "symbols", [5]),
    "env name": (L + "credentials.api_key_env", "1KEY"),
}

SCHEMA_VALID = {
    "referral smallest": (S + "referral_sharing.rate", Decimal("0.00000001")),
    "referral 1.0": (S + "referral_sharing.rate", "1.0"),
    "referral 1": (S + "referral_sharing.rate", 1),
    "referral disabled 0": (S + "referral_sharing", {"enabled": False, "rate": 0}),
    "end epoch millis": (S + "cooldown.end", 1798761600000),
    "end with offset": (S + "cooldown.end", "2026-12-26T00:00:00+08:00"),
    "disabled": (S + "cooldown", {"enabled": False}),
    "no optional parts": (L + "followers", DELETE),
    "rate number": (S + "profit_sharing.rate", Decimal("0.1")),
    "rate 8 places and trailing zeros": (S + "profit_sharing.rate", "0.123456780000"),
    "follower max": (L + "followers.remove", [2**63 - 1]),
    "code": (S + "invite", {"required": True, "scope": 1, "code": "ABCDEF"}),
}

# What the schema cannot express: schema-valid for both, rejected by validate's rules.
RULES_ONLY = {
    "end before start": (S + "cooldown.end", "2026-12-23T00:00:00Z"),
    "not a calendar date": (S + "cooldown.end", "2026-13-01T00:00:00Z"),
    "before 1970": (S + "cooldown.start", "1969-12-31T00:00:00Z"),
    "chinese code": (S + "invite", {"required": True, "scope": 1, "code": "中文中文中文"}),
}


def python_valid(data) -> bool:
    return leader_schema.check(yamlload.Document("t.yaml", data=data)) == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_both_accept_the_examples(path, rust):
    doc, issues = yamlload.load(path)
    assert issues == []
    assert python_valid(doc.data)
    assert rust.is_valid(to_json(doc.data)), [e.message for e in rust.iter_errors(to_json(doc.data))]


@pytest.mark.parametrize("case", SCHEMA_VALID)
def test_both_accept(case, rust):
    data = mutate(example_data(), *SCHEMA_VALID[case])
    assert python_valid(data)
    assert rust.is_valid(to_json(data)), [e.message for e in rust.iter_errors(to_json(data))]


@pytest.mark.parametrize("case", SCHEMA_INVALID)
def test_both_reject(case, rust):
    data = mutate(example_data(), *SCHEMA_INVALID[case])
    assert not python_valid(data)
    assert not rust.is_valid(to_json(data))


@pytest.mark.parametrize("case", RULES_ONLY)
def test_rules_beyond_the_schema(case, rust, tmp_path):
    data = mutate(example_data(), *RULES_ONLY[case])
    assert python_valid(data) and rust.is_valid(to_json(data))
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(to_json(data), ensure_ascii=False))  # JSON is YAML
    with pytest.raises(ConfigError) as info:
        load_desired([path])
    assert len(info.value.issues) == 1


def test_python_and_rust_errors_point_at_the_same_places(rust):
    data = example_data()
    for case in ["position type", "scope text", "follower 0", "end without zone", "symbol number"]:
        data = mutate(data, *SCHEMA_INVALID[case])
    python_paths = {i.path for i in leader_schema.check(yamlload.Document("t.yaml", data=data))}
    rust_paths = {yamlload.dotted(tuple(e.instance_path)) for e in rust.iter_errors(to_json(data))}
    assert python_paths == {
        S + "position_type", S + "invite.scope", L + "followers.remove[0]", S + "cooldown.end", L + "symbols[0]",
    }
    assert python_paths <= rust_paths
