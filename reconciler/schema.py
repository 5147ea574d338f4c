"""The JSON Schema of the config files, generated from the spec, and its errors as
located messages.

`generate()` builds the schema from `spec.SETTINGS` and `spec.RULES`: every
constraint and every rule a JSON Schema can express is stated once, in the spec.
`leaderctl schema` prints it; `schemas/leaders.schema.json` is the same text,
committed for editors (a test keeps them equal). Rule fragments carry
`"$comment": "rule NAME"` so that an error they raise reads the rule's message.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from reconciler import spec
from reconciler.errors import ConfigIssue
from reconciler.spec import Presence

DRAFT = "https://json-schema.org/draft/2020-12/schema"


# --- generation -------------------------------------------------------------------------------


def _rule(name: str, fragment: dict) -> dict:
    return {"$comment": f"rule {name}", **fragment}


def _nested() -> dict:
    """section path -> its settings, in spec order."""
    sections: dict[str, list[spec.Setting]] = {}
    for s in spec.SETTINGS:
        sections.setdefault(s.section, []).append(s)
    return sections


def _when_on(switch_key: str, value: bool, then: dict) -> dict:
    return {"if": {"properties": {switch_key: {"const": value}}, "required": [switch_key]}, "then": then}


def _conditions(settings: list[spec.Setting]) -> list[dict]:
    """The if/then parts of one section: required when on, forbidden when off, rule checks."""
    out = []
    by_switch: dict[str, list[spec.Setting]] = {}
    for s in settings:
        if s.switch:
            by_switch.setdefault(s.switch, []).append(s)
    for switch, dependents in by_switch.items():
        key = spec.BY_ATTR[switch].key
        on: dict = {}
        required = [s.key for s in dependents if s.presence is Presence.WHEN_ON]
        if required:
            on["required"] = required
        checks = {s.key: _rule(r.name, {"not": r.forbids}) for s in dependents for r in _schema_rules(s)}
        if checks:
            on["properties"] = checks
        if on:
            out.append(_when_on(key, True, on))
        off = {}
        for s in dependents:
            if s.when_off:
                for k in filter(None, (s.key, s.env_key)):
                    off[k] = _rule(s.when_off, {"not": {}})
        if off:
            out.append(_when_on(key, False, {"properties": off}))
    return out


def _schema_rules(setting: spec.Setting) -> list[spec.Rule]:
    """Rules with a schema form about one setting, checked while its switch is on."""
    return [r for r in spec.RULES if r.forbids is not None and r.path == setting.path]


def _section(path: str, settings: list[spec.Setting], partial: bool) -> dict:
    props: dict = {}
    for s in settings:
        props[s.key] = {"description": s.description, **s.codec.schema()} if s.description else s.codec.schema()
        if s.env_key:
            props[s.env_key] = {"$ref": "#/$defs/envName"}
    node: dict = {"type": "object", "additionalProperties": False}
    if path in spec.SECTIONS:
        node = {"description": spec.SECTIONS[path], **node}
    required = [s.key for s in settings if s.presence in (Presence.REQUIRED, Presence.IN_GROUP)]
    if required and not partial:
        node["required"] = required
    node["properties"] = props
    conditions = [_rule("invite_code_or_env", {"not": {"required": [s.key, s.env_key]}}) for s in settings if s.env_key]
    conditions += [] if partial else _conditions(settings)
    if conditions:
        node["allOf"] = conditions
    return node


def _settings(partial: bool) -> dict:
    sections = _nested()
    props: dict = {}
    required = []
    for path, settings in sections.items():
        if path == "settings":
            for s in settings:
                props[s.key] = {"description": s.description, **s.codec.schema()} if s.description else s.codec.schema()
                required.append(s.key)
        else:
            key = path.rpartition(".")[2]
            props[key] = {"$ref": f"#/$defs/{_def_name(key, partial)}"}
            if any(s.presence is Presence.REQUIRED for s in settings):
                required.append(key)
    node: dict = {"type": "object", "additionalProperties": False}
    if not partial:
        node["required"] = required
    node["properties"] = props
    return node


def _def_name(key: str, partial: bool) -> str:
    """`profit_sharing` -> `profitSharing`, or `partialProfitSharing`."""
    words = key.split("_")
    if partial:
        words = ["partial"] + words
    return words[0] + "".join(w.title() for w in words[1:])


def _leader(partial: bool) -> dict:
    node: dict = {
        "description": (
            "A profile or a leader that extends profiles or ignores settings: any part of a leader; the merged leader must be complete."
            if partial
            else "One leader account: where its keys are, its settings, its lead pairs and followers to remove."
        ),
        "type": "object",
        "additionalProperties": False,
    }
    if not partial:
        node["required"] = ["settings", "symbols"]
    node["properties"] = {
        "extends": {"$ref": "#/$defs/extends"},
        "ignore": {"$ref": "#/$defs/ignore"},
        "credentials": {"$ref": "#/$defs/credentials"},
        "settings": {"$ref": f"#/$defs/{'partialSettings' if partial else 'settings'}"},
        "symbols": {
            "description": "The FULL list of enabled lead trading pairs (symbolIds); pairs left out are disabled.",
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": spec.SYMBOL_MAX_LENGTH, "pattern": spec.SYMBOL_PATTERN},
        },
        "followers": {
            "description": "Followers to enforce on every apply.",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "remove": {
                    "description": "Follower user IDs that must not follow this leader.",
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "integer", "minimum": 1, "maximum": spec.MAX_INT64},
                }
            },
        },
    }
    return node


def _by_name(description: str, entry: str) -> dict:
    return {
        "description": description,
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"$ref": "#/$defs/leaderName"},
        "additionalProperties": {"$ref": f"#/$defs/{entry}"},
    }


def _limit(setting: spec.Setting) -> dict:
    value = setting.codec.schema()
    props = {"min": value, "max": value} if spec.bounded(setting) else {}
    props["one_of"] = {"description": "The values allowed.", "type": "array", "minItems": 1, "items": value}
    words = "min / max (inclusive) or one_of" if spec.bounded(setting) else "one_of"
    return {"description": f"Bounds on {setting.path} ({words}).", "type": "object", "additionalProperties": False,
            "minProperties": 1, "properties": props}


def _policy() -> dict:
    return {
        "description": "The desk's own rules (in one file of the config set): value limits, change windows, a follower-removal budget.",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "limits": {
                "description": "Bounds on every leader's merged desired values, by setting path (checked offline).",
                "type": "object",
                "additionalProperties": False,
                "properties": {s.path: _limit(s) for s in spec.LIMITABLE},
            },
            "windows": {
                "description": "When apply may write: a change is held while a matching deny window is active, or while allow windows match it and none is active.",
                "type": "array",
                "items": {"$ref": "#/$defs/window"},
            },
            "max_follower_removals": {
                "description": f"Follower removals per leader per run without --force (default {spec.DEFAULT_MAX_FOLLOWER_REMOVALS}).",
                "type": "integer",
                "minimum": 0,
                "maximum": spec.MAX_INT32,
            },
        },
    }


def _window() -> dict:
    return {
        "description": "A change window (UTC): from each time the cron schedule fires, for its duration.",
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "schedule", "duration"],
        "properties": {
            "kind": {"description": "allow: changes only while one is active; deny: no change while it is active.",
                     "enum": [k.value for k in spec.WindowKind]},
            "schedule": {"description": "a 5-field cron schedule in UTC (minute hour day-of-month month day-of-week), such as \"0 7 * * *\"",
                         "type": "string", "pattern": spec.SCHEDULE_PATTERN},
            "duration": {"description": "a duration from 1m to 7d in days, hours and minutes, such as 90m, 3h, 1h30m or 2d",
                         "type": "string", "pattern": spec.DURATION_PATTERN},
            "paths": {"description": "The changes it governs: setting paths (a leaf or a section), symbols, followers (default: all).",
                      "type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": sorted(spec.WINDOW_PATHS)}},
            "leaders": {"description": "Shell-style leader name patterns such as desk-* (default: every leader).",
                        "type": "array", "minItems": 1, "uniqueItems": True,
                        "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        },
    }


@cache
def generate() -> dict:
    """The whole JSON Schema of a config file (2020-12).

    Long on purpose: it is one literal, the schema's outline, read best in one piece;
    the parts that come from the spec are built by the functions above.
    """
    defs: dict = {
        "leaderName": {
            "description": "a leader name: lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters",
            "type": "string",
            "pattern": spec.NAME_PATTERN,
        },
        "envName": {
            "description": "the name of an environment variable (letters, digits and '_', not starting with a digit)",
            "type": "string",
            "pattern": spec.ENV_PATTERN,
        },
        "leaderEntry": {
            "description": "A leader: complete, or completed by the profiles it extends (and not needing what it ignores).",
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(_leader(partial=False)["properties"], {}),
            "if": {"anyOf": [{"required": ["extends"]}, {"required": ["ignore"]}]},
            "then": {"$ref": "#/$defs/partialLeader"},
            "else": {"$ref": "#/$defs/leader"},
        },
        "leader": _leader(partial=False),
        "partialLeader": _leader(partial=True),
        "extends": {
            "description": "Profiles to start from, merged left to right (mappings key by key; lists and scalars replace), the leader last.",
            "oneOf": [
                {"$ref": "#/$defs/leaderName"},
                {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"$ref": "#/$defs/leaderName"}},
            ],
        },
        "ignore": {
            "description": "Setting paths (a leaf or a section) or `symbols` that leaderctl leaves as they are on the exchange.",
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": sorted(spec.IGNORABLE)},
        },
        "credentials": {
            "description": "Names of environment variables holding the API key and secret (never the values).",
            "type": "object",
            "additionalProperties": False,
            "properties": {"api_key_env": {"$ref": "#/$defs/envName"}, "api_secret_env": {"$ref": "#/$defs/envName"}},
        },
        "settings": _settings(partial=False),
        "partialSettings": _settings(partial=True),
        "policy": _policy(),
        "window": _window(),
    }
    for path, settings in _nested().items():
        if path != "settings":
            key = path.rpartition(".")[2]
            defs[_def_name(key, False)] = _section(path, settings, partial=False)
            defs[_def_name(key, True)] = _section(path, settings, partial=True)
    return {
        "$schema": DRAFT,
        "title": "leaderctl desired state",
        "description": "Desired settings of Toobit copy-trading leader accounts, applied with `leaderctl apply`.",
        "type": "object",
        "additionalProperties": False,
        "required": ["version"],
        "anyOf": [_rule("leaders_or_profiles", {"required": ["leaders"]}), {"required": ["profiles"]}, {"required": ["policy"]}],
        "properties": {
            "version": {"description": "Format version of this file.", "const": 1},
            "profiles": _by_name("Named partial leaders that leaders (and other profiles) extend; names unique across files.", "partialLeader"),
            "leaders": _by_name("Leader accounts by name.", "leaderEntry"),
            "policy": {"$ref": "#/$defs/policy"},
        },
        "$defs": defs,
    }


def schema_text() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


# --- running it -------------------------------------------------------------------------------


@cache
def _validator(ref: str | None = None):
    from fractions import Fraction

    import jsonschema
    from jsonschema import validators

    def multiple_of(validator, divisor, instance, _schema):
        # jsonschema divides floats; YAML decimals arrive as Decimal, so compare exactly.
        if not validator.is_type(instance, "number"):
            return
        # Fractions, not Decimal %: that raises DivisionImpossible once the quotient
        # needs more than 28 digits (e.g. a huge rate), which crashed validate.
        if Fraction(Decimal(str(instance))) % Fraction(Decimal(str(divisor))) != 0:
            yield jsonschema.ValidationError(f"{instance} has more decimal places than allowed")

    cls = validators.extend(jsonschema.Draft202012Validator, {"multipleOf": multiple_of})
    root = generate()
    if ref is None:
        return cls(root)
    return cls({"$schema": DRAFT, "$defs": root["$defs"], "$ref": ref})


def errors(data, ref: str | None = None):
    """jsonschema's errors for a whole file (`ref` None) or a part of one (e.g. `#/$defs/leader`)."""
    return _validator(ref).iter_errors(data)


# The fast path: the same schema compiled by fastjsonschema to Python code, ahead of time
# (`compiled_code()`, checked in as reconciler/schema_compiled.py; a test keeps it equal to
# what the current schema generates). It answers "valid" for the documents that are, at
# no start-up cost and without importing jsonschema. It only ever saves work: whatever it
# does not call valid (an error, or a value it cannot judge) goes to jsonschema, which
# says what is wrong.
COMPILED = Path(__file__).with_name("schema_compiled.py")
_FASTJSONSCHEMA_IMPORT = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
# The generated code's only run-time need of fastjsonschema is its exception types: a
# local pair instead, so that neither fastjsonschema nor its code generators load at run time.
_LOCAL_EXCEPTIONS = (
    "class JsonSchemaValueException(ValueError):\n"
    "    def __init__(self, message, value=None, name=None, definition=None, rule=None):\n"
    "        super().__init__(message)\n"
    "        self.message, self.value, self.name, self.definition, self.rule = message, value, name, definition, rule\n"
    "\n\n"
    "class JsonSchemaValuesException(ValueError):\n"
    "    def __init__(self, errors):\n"
    "        super().__init__(errors)\n"
    "        self.errors = errors\n"
    "\n\n"
    "def _exact_quotient(value, divisor):\n"
    "    # never rounded: an inexact quotient raises, and jsonschema (exact, by Fractions) decides\n"
    "    from decimal import Inexact, localcontext\n"
    "\n"
    "    with localcontext() as context:\n"
    "        context.traps[Inexact] = True\n"
    "        return Decimal(str(value)) / Decimal(str(divisor))\n"
)
# multipleOf: fastjsonschema divides Decimal(repr(value)), which YAML's Decimals cannot take
# (repr is "Decimal('0.1')"), then divides value by the float divisor (TypeError for a
# Decimal): so every decimal written as a number went to the slow path. `str` is `repr` for
# floats and ints; the infinity check reads the quotient already computed.
_QUOTIENT = re.compile(r"quotient = Decimal\(repr\((\w+)\)\) / Decimal\(repr\(([^()]+)\)\)")
# const of a number: fastjsonschema compares only ints and floats, so a Decimal 0 was "not
# 0", and under a `not` (rule referral_rate_positive) the compiled check called a rate of
# 0 valid. Decimal counts as a number here, as it does everywhere else in that code.
_CONST_NUMBER = re.compile(r"isinstance\((\w+), \(int, float\)\) and not isinstance\(\1, bool\) and \1 == ")
_INFINITE = re.compile(r"if \w+ / [^ ]+ == float\(\"inf\"\):")


def compiled_code() -> str:
    """The source of reconciler/schema_compiled.py: fastjsonschema's code for the whole
    file schema (its `validate`) and every `$defs` entry it reaches (`validate____defs_leader`...).

    `python -m reconciler.schema` writes it; needs fastjsonschema (a test extra)."""
    import fastjsonschema

    root = {k: v for k, v in generate().items() if k != "$schema"}  # draft-07 keywords suffice
    code = fastjsonschema.compile_to_code(root)
    if code.count(_FASTJSONSCHEMA_IMPORT) != 1:
        raise RuntimeError("fastjsonschema's generated code changed its imports: review compiled_code()")
    code, divisions = _QUOTIENT.subn(r"quotient = _exact_quotient(\1, \2)", code)
    code, infinities = _INFINITE.subn('if quotient == float("inf"):', code)
    code = _CONST_NUMBER.sub(r"isinstance(\1, (int, float, Decimal)) and not isinstance(\1, bool) and \1 == ", code)
    if divisions != infinities or divisions != code.count("quotient = ") or "repr(" in code or re.search(r"\(int, float\)\)", code):
        raise RuntimeError("fastjsonschema's multipleOf code changed: review compiled_code()")
    header = ('"""GENERATED by `python -m reconciler.schema` from reconciler.schema.generate(): do not edit.\n\n'
              'tests/config/test_schema_compiled.py fails when it differs from what the current schema generates."""\n'
              "# fmt: off\n# ruff: noqa\n")
    return header + code.replace(_FASTJSONSCHEMA_IMPORT, _LOCAL_EXCEPTIONS)


def _entry(ref: str | None):
    """The compiled function checking `ref` (None: a whole file)."""
    from reconciler import schema_compiled

    return getattr(schema_compiled, "validate" if ref is None else "validate_" + re.sub(r"\W", "_", ref).lower())


def surely_valid(data, ref: str | None = None) -> bool:
    """True only when the compiled checker accepts `data` (False says nothing)."""
    try:
        _entry(ref)(data)
    except Exception:  # noqa: BLE001 - invalid, or not judged: jsonschema decides
        return False
    return True


# --- translating errors into the user's words -------------------------------------------------

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}
_YAML_TYPES = ((bool, "a boolean"), (int, "an integer"), (Decimal, "a decimal number"), (str, "a string"), (list, "a list"), (dict, "a mapping"))
_SAFE_FOR_CODE = {"type", "minLength", "maxLength"}


def yaml_type(value) -> str:
    if value is None:
        return "an empty value"
    return next((word for kind, word in _YAML_TYPES if isinstance(value, kind)), type(value).__name__)


def short(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


Issue = tuple  # (path, message, at_key): located by the caller


def translate(error) -> list[Issue]:
    """One jsonschema error as (path, message, at_key) issues, in the user's words."""
    path = tuple(error.absolute_path)
    kind = error.validator
    sch = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        return _unknown_keys(path, error.instance, sorted(sch.get("properties", {})))
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [(path, f"missing required key {k!r}", False) for k in missing] or [(path, error.message, False)]
    if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
        return [(path + (error.instance,), name_message(error.instance, path), True)]
    rule = _rule_of(error)
    if rule is not None:
        key = path[-1] if path else ""
        return [(path, rule.say(key=key), kind == "not" and error.validator_value == {})]
    if len(path) >= 2 and path[-2] == "ignore" and kind == "enum":
        return [(path, ignore_message(error.instance), False)]
    if len(path) >= 3 and path[-2] == "paths" and path[0] == "policy" and kind == "enum":
        return [(path, path_message(error.instance, spec.WINDOW_PATHS, "window path"), False)]
    if path and path[-1] == "code":
        # never echo the invite code, whatever went wrong with it
        return [(path, _message(error, path, sch) if kind in _SAFE_FOR_CODE else "invalid invite code", False)]
    return [(path, _message(error, path, sch), False)]


def _rule_of(error):
    branches = error.validator_value if error.validator in ("anyOf", "oneOf") and isinstance(error.validator_value, list) else []
    for node in (error.schema, *branches[:1], *_parents(error)):
        comment = node.get("$comment", "") if isinstance(node, dict) else ""
        if comment.startswith("rule "):
            return spec.RULE[comment[5:]]
    return None


def _parents(error):
    parent = error.parent
    while parent is not None:
        yield parent.schema
        parent = parent.parent


def _unknown_keys(path, instance: dict, allowed: list[str]) -> list[Issue]:
    import difflib

    out = []
    for key in (k for k in instance if k not in allowed):
        msg = f"unknown key {key!r}"
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        msg += f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
        out.append((path + (key,), msg, True))
    return out


def name_message(name, path=()) -> str:
    what = "profile" if path and path[-1] == "profiles" else "leader"
    return (
        f"invalid {what} name {short(name)}: use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 63 characters"
    )


def path_message(value, allowed, what: str) -> str:
    import difflib

    close = difflib.get_close_matches(str(value), sorted(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; use one of: {', '.join(sorted(allowed))}"
    return f"unknown {what} {short(value)}{hint}"


def ignore_message(value) -> str:
    import difflib

    close = difflib.get_close_matches(str(value), sorted(spec.IGNORABLE), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; use a setting path such as settings.follower_minimums, or symbols"
    return f"unknown ignore path {short(value)}{hint}"


def _message(error, path, sch) -> str:
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"expected {' or '.join(_TYPE_WORDS.get(w, w) for w in wanted)}, got {yaml_type(inst)}"
    if kind == "enum":
        return f"must be one of: {', '.join(str(v) for v in value)} (got {short(inst)})"
    if kind == "const":
        return f"must be {value!r} (got {short(inst)})"
    if kind in ("oneOf", "pattern") and sch.get("description"):
        return f"must be {sch['description']} (got {short(inst)})"
    if kind == "pattern":
        return f"{short(inst)} does not match the expected format"
    if kind == "minItems":
        return f"must have at least {value} item{'' if value == 1 else 's'}"
    if kind == "uniqueItems":
        return f"items must be unique; {short(_first_duplicate(inst))} appears more than once"
    if kind == "minProperties":
        return "must not be empty"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"must be {words[kind]} {value} (got {short(inst)})"
    if kind == "minLength":
        return f"must be at least {value} characters long"
    if kind == "maxLength":
        return f"must be at most {value} characters long"
    return error.message


def _first_duplicate(items):
    seen = set()
    for item in items:
        key = json.dumps(item, default=str, sort_keys=True)
        if key in seen:
            return item
        seen.add(key)
    return None


LEADER = "#/$defs/leader"
POLICY = "#/$defs/policy"


def surely_valid_document(data) -> bool:
    """True only when the compiled checker accepts the whole file `data`."""
    return surely_valid(data)


def check(doc) -> list[ConfigIssue]:
    """Every schema violation in one document, each located in it."""
    if surely_valid_document(doc.data):
        return []
    return [doc.issue(path, message, at_key=at_key) for error in errors(doc.data) for path, message, at_key in translate(error)]


if __name__ == "__main__":
    COMPILED.write_text(compiled_code())
    print(f"wrote {COMPILED}")
