"""The JSON Schema of the desired-state files, and its errors as located messages.

The schema is the single statement of every rule a schema can express; this module
only runs it and turns jsonschema's errors into `FILE:LINE:COL: path: message`.
"""
from __future__ import annotations

import difflib
import json
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

from reconciler.errors import ConfigIssue
from reconciler.yamlload import Document, dotted


def schema_text() -> str:
    return Path(__file__).with_name("leaders.schema.json").read_text(encoding="utf-8")


@cache
def schema() -> dict:
    return json.loads(schema_text())


@cache
def _validator():
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
    return cls(schema())


def check(doc: Document) -> list[ConfigIssue]:
    """Every schema violation in one document, each located."""
    issues = []
    for error in _validator().iter_errors(doc.data):
        issues.extend(_translate(doc, error))
    return issues


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


def _yaml_type(value) -> str:
    if value is None:
        return "an empty value"
    return next((word for kind, word in _YAML_TYPES if isinstance(value, kind)), type(value).__name__)


def _short(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _translate(doc: Document, error) -> list[ConfigIssue]:
    path = tuple(error.absolute_path)
    kind = error.validator
    sch = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(sch.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        out = []
        for key in extra:
            msg = f"unknown key {key!r}"
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            msg += f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
            out.append(doc.issue(path + (key,), msg, at_key=True))
        return out
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [doc.issue(path, f"missing required key {k!r}") for k in missing] or [doc.issue(path, error.message)]
    if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
        return [_name_issue(doc, path, error.instance)]
    if kind == "not" and error.validator_value == {}:
        return [doc.issue(path, _not_allowed(path), at_key=True)]
    if path and path[-1] == "code":
        # never echo the invite code, whatever went wrong with it
        return [doc.issue(path, _message(error, path, sch) if kind in _SAFE_FOR_CODE else "invalid invite code")]
    return [doc.issue(path, _message(error, path, sch), at_key=False)]


_SAFE_FOR_CODE = {"type", "minLength", "maxLength"}


def _name_issue(doc: Document, path, name) -> ConfigIssue:
    return doc.issue(
        path + (name,),
        f"invalid leader name {_short(name)}: use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters",
        at_key=True,
    )


def _not_allowed(path) -> str:
    if len(path) >= 2 and path[-2] == "cooldown":
        return f"not allowed when cooldown is disabled (enabled: false): remove {path[-1]!r}"
    return "not allowed here: remove it"


def _message(error, path, sch) -> str:
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"expected {' or '.join(_TYPE_WORDS.get(w, w) for w in wanted)}, got {_yaml_type(inst)}"
    if kind == "enum":
        return f"must be one of: {', '.join(str(v) for v in value)} (got {_short(inst)})"
    if kind == "const":
        return f"must be {value!r} (got {_short(inst)})"
    if kind == "not" and path and path[-1] == "end":
        return "must not be 0 when cooldown is enabled: set the end of the cool-down window"
    if kind == "not" and path and path[-1] == "rate":
        return "must be greater than 0 when referral sharing is enabled"
    if kind == "not" and isinstance(inst, dict) and "code" in inst and "code_env" in inst:
        return "set either 'code' or 'code_env', not both"
    if kind == "oneOf" or (kind == "pattern" and sch.get("description")):
        desc = sch.get("description")
        if desc:
            return f"must be {desc} (got {_short(inst)})"
    if kind == "pattern":
        return f"{_short(inst)} does not match the expected format"
    if kind == "minItems":
        return f"must have at least {value} item(s)"
    if kind == "uniqueItems":
        seen, dup = set(), None
        for item in inst:
            key = json.dumps(item, default=str, sort_keys=True)
            if key in seen:
                dup = item
                break
            seen.add(key)
        return f"items must be unique; {_short(dup)} appears more than once"
    if kind == "minProperties":
        return "must not be empty"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"must be {words[kind]} {value} (got {_short(inst)})"
    if kind == "minLength":
        return f"must be at least {value} characters long"
    if kind == "maxLength":
        return f"must be at most {value} characters long"
    return error.message
