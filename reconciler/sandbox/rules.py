"""`PUT .../leader/config`, the oracle: its body fields, its documented rules, its effect.

Written from the exchange's documents only (docs/exchange-api.md §4, "The PUT body
and its rules", and §3), never from leaderctl's validator: the sandbox is the
independent side of a parity test, so nothing here may come from
`reconciler.config`, `reconciler.schema`, `reconciler.fields` or `reconciler.spec`.
All of the sandbox's knowledge of this endpoint is in the two tables below:

- `CONFIG_FIELDS`: every body field, in documentation order, with its type,
  whether it is mandatory, and its range. Shape errors (absent, null for a
  mandatory field, wrong JSON type, not a number) answer -1102; range, precision
  and format errors answer -1130. The GET config answers these same names.
- `RULES`: the rules that need more than one field or the account's live state,
  each with its code, checked in table order after the shape and range checks
  and the "is an active leader" check. Nothing is written unless all pass.

Decisions where the documents are silent (each one is the stricter reading, so
that what the sandbox accepts, a strict exchange accepts too):

- Decimals (profitRate, followAssetLowerLimit, fixedAmountFollowMin,
  fixedRateFollowMin, recommendShareRate) are a JSON number or a string in plain
  notation (`-?digits[.digits]`, so "1e-5", ".5", "1.", " 1", "1_0" are
  malformed: -1102). Every one has at most 8 decimal places, counted AS WRITTEN:
  "0.100000000" and 1.0E-8 have 9 places and are rejected (-1130) although
  their values have fewer; "0.10000000" (8 places) is accepted. This is what a
  BigDecimal's scale says, and it is the document's own wording ("up to 8
  decimal places"). Negative values are -1130; "-0" is zero. Values of 10^18 or
  more are -1130 (the exchange stores decimals in a bounded column; the bound is
  not published and 10^18 is far above any real setting).
- Integers may be JSON numbers or strings of digits (docs/exchange-api.md §3: accept
  both spellings); `integer` fields must fit in 32 bits and `LONG` fields in 64,
  else -1102, like a JSON deserialiser failing on the type.
- The invite code's length is counted in Unicode code points. "Chinese
  characters" are CJK Unified Ideographs U+4E00-9FFF, Extension A U+3400-4DBF,
  Extensions B-F U+20000-2EBEF, Extension G U+30000-3134F, CJK Compatibility
  Ideographs U+F900-FAFF, plus CJK Symbols and Punctuation U+3000-303F and
  Halfwidth and Fullwidth Forms U+FF00-FFEF (a fullwidth "Ａ" or "，" comes from
  a Chinese input method). Not included: radicals, Bopomofo, the Compatibility
  Supplement U+2F800-2FA1F, Extensions H and I; the same class must be used by
  leaderctl's validator for the parity test to hold.
- The sensitive-word list and the uniqueness check (case-insensitive, across all
  sandbox accounts) are the sandbox's own stand-ins for checks the exchange does
  not publish.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable

from reconciler.sandbox.codes import ApiError, invalid, missing

DECIMAL_PLACES = 8
DECIMAL_LIMIT = Decimal(10) ** 18  # exclusive
INVITE_CODE_LENGTH = (6, 10)  # inclusive, in code points
CHINESE = re.compile(
    "["
    "\u3000-\u303f"  # CJK Symbols and Punctuation
    "\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\uff00-\uffef"  # Halfwidth and Fullwidth Forms
    "\U00020000-\U0002ebef"  # Extensions B, C, D, E, F
    "\U00030000-\U0003134f"  # Extension G
    "]"
)
SENSITIVE_WORDS = ("admin", "toobit", "fuck", "shit", "official", "scam")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,20}")


# ------------------------------------------------------------ body value types


@dataclass(frozen=True)
class BodyInt:
    """An integer field (`integer`: 32 bits, `LONG`: 64 bits), as a JSON number or a string."""

    bits: int = 32
    choices: frozenset[int] | None = None
    minimum: int | None = None

    def parse(self, name: str, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise missing(name)
        if isinstance(raw, str) and not _INTEGER_TEXT.fullmatch(raw):
            raise missing(name)
        value = int(raw)
        if not -(2 ** (self.bits - 1)) <= value < 2 ** (self.bits - 1):
            raise missing(name)
        return value

    def check(self, name: str, value: int) -> None:
        if self.choices is not None and value not in self.choices:
            raise invalid(name)
        if self.minimum is not None and value < self.minimum:
            raise invalid(name)


@dataclass(frozen=True)
class BodyDecimal:
    """A non-negative decimal with at most `places` decimal places as written (module doc)."""

    places: int = DECIMAL_PLACES

    def parse(self, name: str, raw: Any) -> Decimal:
        if isinstance(raw, bool):
            raise missing(name)
        if isinstance(raw, int):
            return Decimal(raw)
        if isinstance(raw, Decimal) and raw.is_finite():  # a JSON number, exactly as written
            return raw
        if isinstance(raw, str) and _PLAIN_DECIMAL.fullmatch(raw):
            return Decimal(raw)
        raise missing(name)  # NaN, Infinity, lists, objects, other spellings

    def check(self, name: str, value: Decimal) -> None:
        places = max(0, -value.as_tuple().exponent)
        if places > self.places or value < 0 or value >= DECIMAL_LIMIT:
            raise invalid(name)


@dataclass(frozen=True)
class BodySymbolList:
    """`symbolIds`: a JSON array of non-empty symbol id strings."""

    def parse(self, name: str, raw: Any) -> list:
        if not isinstance(raw, list):
            raise missing(name)
        return raw

    def check(self, name: str, value: list) -> None:
        if not all(isinstance(s, str) and s for s in value):
            raise invalid(name)


@dataclass(frozen=True)
class BodyText:
    def parse(self, name: str, raw: Any) -> str:
        if not isinstance(raw, str):
            raise missing(name)
        return raw

    def check(self, name: str, value: str) -> None:
        pass  # the invite code's format is a business rule (-120512), see RULES


SWITCH = BodyInt(choices=frozenset({0, 1}))


@dataclass(frozen=True)
class ConfigField:
    name: str
    kind: BodyInt | BodyDecimal | BodySymbolList | BodyText
    mandatory: bool


# The body of PUT config and the answer of GET config, in documentation order.
CONFIG_FIELDS: tuple[ConfigField, ...] = (
    ConfigField("unLeadType", SWITCH, True),
    ConfigField("unLeadStartTime", BodyInt(bits=64, minimum=0), False),
    ConfigField("unLeadEndTime", BodyInt(bits=64, minimum=0), False),
    ConfigField("leadPositionType", BodyInt(choices=frozenset({-1, 0, 1})), True),
    ConfigField("tradeProtect", SWITCH, True),
    ConfigField("profitPeriod", BodyInt(choices=frozenset({1, 7})), True),
    ConfigField("profitRate", BodyDecimal(), True),
    ConfigField("followAssetLowerLimit", BodyDecimal(), True),
    ConfigField("fixedAmountFollowMin", BodyDecimal(), True),
    ConfigField("fixedRateFollowMin", BodyDecimal(), True),
    ConfigField("isNeedInvite", SWITCH, True),
    ConfigField("inviteScope", BodyInt(minimum=0), True),
    ConfigField("symbolIds", BodySymbolList(), True),
    ConfigField("recommendShare", SWITCH, False),
    ConfigField("recommendShareRate", BodyDecimal(), False),
    ConfigField("inviteCode", BodyText(), False),
)
FIELD_NAMES = tuple(f.name for f in CONFIG_FIELDS)
DECIMAL_FIELDS = tuple(f.name for f in CONFIG_FIELDS if isinstance(f.kind, BodyDecimal))
INTEGER_FIELDS = tuple(f.name for f in CONFIG_FIELDS if isinstance(f.kind, BodyInt))
LEVEL_FIELDS = ("profitRate", "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin")


def parse_config_body(body: Any) -> dict[str, Any]:
    """Shape first (-1102 for anything missing or mistyped), then ranges (-1130).

    The invite code is only looked at when isNeedInvite=1, as documented; a
    null optional field counts as omitted.
    """
    if not isinstance(body, dict):
        raise missing("body")
    values: dict[str, Any] = {}
    for field in CONFIG_FIELDS:
        raw = body.get(field.name)
        if raw is None:
            if field.mandatory:
                raise missing(field.name)
            continue
        if field.name == "inviteCode" and values.get("isNeedInvite") != 1:
            continue
        values[field.name] = field.kind.parse(field.name, raw)
    for field in CONFIG_FIELDS:
        if field.name in values:
            field.kind.check(field.name, values[field.name])
    return values


# -------------------------------------------------- rules on the account's state


@dataclass(frozen=True)
class PutContext:
    """What a rule may look at: the account (live state), the parsed body, the other accounts."""

    account: dict
    new: dict
    others: Callable[[], Iterable[dict]]

    @property
    def current(self) -> dict:
        return self.account["config"]


def _unavailable_symbol(c: PutContext) -> bool:
    available = {s["symbolId"] for s in c.account["symbols"]}
    return any(s not in available for s in c.new["symbolIds"])


def _no_level(c: PutContext) -> bool:
    return not isinstance(c.account.get("level"), dict)


def _bad_cooldown(c: PutContext) -> bool:
    """unLeadType=1: end given, not 0, >= start (start defaults to 0). unLeadType=0: no check."""
    if c.new["unLeadType"] != 1:
        return False
    start, end = c.new.get("unLeadStartTime", 0), c.new.get("unLeadEndTime", 0)
    return end == 0 or end < start


def _outside_level_limits(c: PutContext) -> bool:
    """Inclusive [min, max] per field from the account's level; a private leader's profitRate max may differ."""
    level = c.account["level"]
    for name in LEVEL_FIELDS:
        low, high = (level.get("limits", {}).get(name) or [None, None])[:2]
        if name == "profitRate" and c.new["isNeedInvite"] == 1 and level.get("private_profit_rate_max"):
            high = level["private_profit_rate_max"]
        value = c.new[name]
        if (low is not None and value < Decimal(low)) or (high is not None and value > Decimal(high)):
            return True
    return False


def _bad_referral(c: PutContext) -> bool:
    """recommendShare=1 (sent, or kept when omitted): 0 < recommendShareRate (sent, or kept) <= 1."""
    switch = c.new.get("recommendShare", c.current.get("recommendShare", 0))
    rate = c.new.get("recommendShareRate", Decimal(str(c.current.get("recommendShareRate") or "0")))
    return switch == 1 and not Decimal(0) < rate <= Decimal(1)


def _private_with_custom_ratio_goes_public(c: PutContext) -> bool:
    return c.current.get("isNeedInvite") == 1 and c.new["isNeedInvite"] == 0 and bool(c.account.get("custom_profit_ratio"))


def _disables_pair_in_use(c: PutContext) -> bool:
    in_use = {o["symbolId"] for o in c.account["orders_current"]}
    enabled = {s["symbolId"] for s in c.account["symbols"] if s["isLead"] == 1}
    return bool((enabled & in_use) - set(c.new["symbolIds"]))


def _position_type_blocked(c: PutContext) -> bool:
    """Switching to cross or isolated while current lead orders hold another type; -1 (all) always fits."""
    wanted = c.new["leadPositionType"]
    if wanted == c.current.get("leadPositionType") or wanted == -1:
        return False
    return any(int(o["positionType"]) != wanted for o in c.account["orders_current"])


def _invite_code_malformed(c: PutContext) -> bool:
    code = c.new.get("inviteCode")
    low, high = INVITE_CODE_LENGTH
    return code is not None and (not low <= len(code) <= high or CHINESE.search(code) is not None)


def _invite_code_sensitive(c: PutContext) -> bool:
    code = c.new.get("inviteCode")
    return code is not None and any(word in code.lower() for word in SENSITIVE_WORDS)


def _invite_code_taken(c: PutContext) -> bool:
    code = c.new.get("inviteCode")
    if code is None:
        return False
    return any(str(o["config"].get("inviteCode", "")).lower() == code.lower() for o in c.others())


@dataclass(frozen=True)
class Rule:
    """One documented rule: `violated(context)` True answers `code` (-1130 names `field`)."""

    code: int
    description: str
    violated: Callable[[PutContext], bool]
    field: str | None = None

    def error(self) -> ApiError:
        return invalid(self.field) if self.code == -1130 else ApiError(self.code)


RULES: tuple[Rule, ...] = (
    Rule(-1130, "every symbolId is one of the leader's available pairs", _unavailable_symbol, "symbolIds"),
    Rule(-120067, "the leader has a level configuration", _no_level),
    Rule(-120078, "unLeadType=1: unLeadEndTime given, not 0, >= unLeadStartTime", _bad_cooldown),
    Rule(-120072, "profitRate and follower minimums within the level's limits", _outside_level_limits),
    Rule(-120072, "recommendShare=1: 0 < recommendShareRate <= 1", _bad_referral),
    Rule(-120073, "a private leader with a custom profit ratio cannot go public", _private_with_custom_ratio_goes_public),
    Rule(-32090, "a pair with current lead orders cannot be disabled", _disables_pair_in_use),
    Rule(-32093, "the position type cannot change while orders hold another type", _position_type_blocked),
    Rule(-120512, "inviteCode: 6-10 characters, no Chinese characters", _invite_code_malformed),
    Rule(-120511, "inviteCode: no sensitive words", _invite_code_sensitive),
    Rule(-120510, "inviteCode: not used by another leader", _invite_code_taken),
)


def check_rules(context: PutContext) -> None:
    for rule in RULES:
        if rule.violated(context):
            raise rule.error()


# ------------------------------------------------------------------ the effect


def canonical(value: Decimal) -> str:
    """The exchange's spelling of a decimal: plain, no trailing zeros, zero as "0"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def apply_config(account: dict, new: dict) -> None:
    """Store an accepted body. unLeadType=0 resets both timestamps to "0"; omitted
    optional fields keep their value; the symbols' isLead follows symbolIds."""
    current = account["config"]
    if new["unLeadType"] == 1:
        current["unLeadStartTime"] = str(new.get("unLeadStartTime", 0))
        current["unLeadEndTime"] = str(new["unLeadEndTime"])
    else:
        current["unLeadStartTime"] = current["unLeadEndTime"] = "0"
    for name in INTEGER_FIELDS:
        if name in new and name not in ("unLeadStartTime", "unLeadEndTime"):
            current[name] = new[name]
    for name in DECIMAL_FIELDS:
        if name in new:
            current[name] = canonical(new[name])
    if "inviteCode" in new:
        current["inviteCode"] = new["inviteCode"]
    enabled = set(new["symbolIds"])
    for symbol in account["symbols"]:
        symbol["isLead"] = int(symbol["symbolId"] in enabled)
