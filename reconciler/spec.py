"""The one definition of every leader setting and of every rule about them.

A `Setting` row says everything leaderctl knows about one field of
`PUT/GET .../leader/config`: its YAML path, its API name, its codec (YAML value ->
typed value -> API value and back, with its constraints), when it may or must be
written, whether it is sensitive. A `Rule` row says one thing the exchange
refuses, with the exchange code it avoids and the message the user reads.

Everything else reads these tables: the JSON Schema is generated from them
(`schema.generate`), the config builder, the planner's diff and PUT body, the
importer and the renderers loop over them. Adding a setting is one row here.
The sandbox is the one deliberate exception: it keeps its own copy of the rules,
as an independent oracle, and a parity test holds the two together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum

SENSITIVE_TEXT = "(sensitive)"
MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
MAX_INT32 = 2147483647
MAX_INT64 = 9223372036854775807

# Chinese characters: CJK punctuation, unified ideographs and their extensions A-F,
# compatibility ideographs, full-width forms (what "must not contain Chinese
# characters" rules out for the invite code).
CHINESE = re.compile(
    "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ebef\U00030000-\U0003134f]"
)
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$"
ENV_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
SYMBOL_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
SYMBOL_MAX_LENGTH = 64


class Unreadable(ValueError):
    """An exchange value a codec cannot read (the caller names the field and endpoint)."""


# --- codecs: one per kind of value ----------------------------------------------------------


class Codec:
    """Converts one kind of value: YAML <-> typed <-> API, plus its schema and display."""


    def schema(self) -> dict:
        raise NotImplementedError

    def from_yaml(self, raw):
        """A typed value from a YAML value the schema accepted."""
        return raw

    def to_api(self, value):
        return value

    def from_api(self, raw):
        """A typed value from the exchange's answer; Unreadable when it is not one."""
        raise NotImplementedError

    def to_yaml(self, value) -> str:
        """YAML source text for `leaderctl import`."""
        return str(value)

    def to_json(self, value):
        """The plan JSON's spelling (docs/contract.md §4)."""
        return value

    def to_text(self, value) -> str:
        return str(value)


class Switch(Codec):

    def schema(self) -> dict:
        return {"type": "boolean"}

    def to_api(self, value) -> int:
        return 1 if value else 0

    def from_api(self, raw) -> bool:
        if isinstance(raw, bool):  # documented as 0/1; true/false cannot be misread
            return raw
        if raw in (0, 1, "0", "1"):
            return int(raw) == 1
        raise Unreadable("expected 0 or 1")

    def to_yaml(self, value) -> str:
        return "true" if value else "false"

    def to_text(self, value) -> str:
        return "true" if value else "false"


class Choice(Codec):
    """User words for the exchange's integer codes (`cross` <-> 0)."""


    def __init__(self, words: dict[str, int], description: str):
        self.words = words
        self.codes = {v: k for k, v in words.items()}
        self.description = description

    def schema(self) -> dict:
        return {"description": self.description, "enum": list(self.words)}

    def to_api(self, value) -> int:
        return self.words[value]

    def from_api(self, raw) -> str:
        code = _integer(raw)
        if code not in self.codes:
            raise Unreadable(f"expected one of {', '.join(map(str, self.codes))}")
        return self.codes[code]


class Integer(Codec):

    def __init__(self, minimum: int = 0, maximum: int = MAX_INT32):
        self.minimum, self.maximum = minimum, maximum

    def schema(self) -> dict:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def from_api(self, raw) -> int:
        value = _integer(raw)
        if not self.minimum <= value <= self.maximum:
            raise Unreadable(f"out of range {self.minimum}..{self.maximum}")
        return value


class Amount(Codec):
    """A non-negative decimal with at most `places` decimal places, exact (never a float).

    Written as a YAML string or number; sent as a JSON string in its shortest
    spelling ("0.10" -> "0.1"); compared by value.
    """


    INTEGER_DIGITS = 18  # amounts stay below 10^18 (the exchange publishes no bound; 64-bit safe)

    def __init__(self, places: int = 8, maximum: int | None = None, description: str | None = None):
        self.places, self.maximum = places, maximum
        self.description = description or (
            f"a non-negative decimal such as \"0.1\" with at most {places} decimal places (a string or a number)"
            if maximum is None
            else f"a decimal from 0 to {maximum} with at most {places} decimal places, such as \"0.2\""
        )

    def pattern(self) -> str:
        fraction = rf"(\.[0-9]{{1,{self.places}}}0*)?"  # trailing zeros do not count as places
        if self.maximum is None:
            return rf"^[0-9]{{1,{self.INTEGER_DIGITS}}}{fraction}$"
        if self.maximum == 1:
            return rf"^(0{fraction}|1(\.0+)?)$"
        raise NotImplementedError("a string pattern for this maximum")

    def schema(self) -> dict:
        number = {"type": "number", "minimum": 0, "multipleOf": float(f"1e-{self.places}")}
        if self.maximum is not None:
            number["maximum"] = self.maximum
        else:
            number["exclusiveMaximum"] = float(f"1e{self.INTEGER_DIGITS}")
        return {"description": self.description, "oneOf": [{"type": "string", "pattern": self.pattern()}, number]}

    def from_yaml(self, raw) -> Decimal:
        return canonical(Decimal(str(raw)))

    def to_api(self, value: Decimal) -> str:
        return decimal_text(canonical(value))

    def from_api(self, raw) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
            raise Unreadable("expected a decimal")
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise Unreadable("expected a decimal") from None
        if not value.is_finite() or abs(value.adjusted()) > 100:
            raise Unreadable("expected a finite decimal")
        return value

    def to_yaml(self, value) -> str:
        return f'"{decimal_text(value)}"'

    def to_json(self, value) -> str:
        return decimal_text(value)

    def to_text(self, value) -> str:
        return f'"{decimal_text(value)}"'

    def too_precise(self, value: Decimal) -> bool:
        return value != 0 and value.normalize().as_tuple().exponent < -self.places


class EpochMillis(Codec):
    """A time: RFC 3339 with a zone or epoch millis in YAML; epoch millis everywhere else."""


    def schema(self) -> dict:
        return {
            "description": "an RFC 3339 date-time with a zone such as \"2026-12-24T00:00:00Z\", or epoch milliseconds (an integer)",
            "oneOf": [
                {"type": "string", "pattern": f"^{RFC3339.pattern}$"},
                {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS},
            ],
        }

    def from_yaml(self, raw) -> int | None:
        return parse_timestamp(raw)

    def from_api(self, raw) -> int:
        value = _integer(raw)
        if not 0 <= value <= MAX_EPOCH_MS:
            raise Unreadable("out of range for epoch milliseconds")
        return value

    def to_yaml(self, value: int) -> str:
        iso = iso_time(value)
        return f'"{iso}"' if iso and value % 1000 == 0 else str(value)

    def to_text(self, value: int) -> str:
        iso = iso_time(value)
        return f"{iso} ({value})" if iso and value > 0 else str(value)  # RFC 3339 first, epoch millis second


class InviteCode(Codec):
    """The private invitation code: 6 to 10 characters, no Chinese characters. Sensitive."""

    min_length, max_length = 6, 10

    def schema(self) -> dict:
        return {
            "description": f"The invitation code itself (sensitive: prefer code_env): {self.rule_text()}.",
            "type": "string",
            "minLength": self.min_length,
            "maxLength": self.max_length,
        }

    def rule_text(self) -> str:
        return f"{self.min_length} to {self.max_length} characters, no Chinese characters"

    def acceptable(self, code: str) -> bool:
        return self.min_length <= len(code) <= self.max_length and not CHINESE.search(code)

    def from_api(self, raw) -> str | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise Unreadable("expected a string")
        return raw


def _integer(raw) -> int:
    """An integer as the exchange sends it: a JSON number or a string of digits."""
    if isinstance(raw, bool):
        raise Unreadable("expected an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,19}", raw):
        return int(raw)
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value() and abs(raw) < 10**19:
        return int(raw)
    raise Unreadable("expected an integer")


def canonical(value: Decimal) -> Decimal:
    """-0 is 0 (a YAML `-0.0` must never be sent as "-0.0")."""
    return value.copy_abs() if value.is_zero() else value


def decimal_text(value: Decimal) -> str:
    """Plain notation, no exponent, no trailing zeros after the point: "0.1", "100"."""
    text = format(canonical(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def iso_time(ms: int) -> str | None:
    try:
        return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None


def parse_timestamp(value) -> int | None:
    """RFC 3339 with a zone, or epoch millis -> epoch millis; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        return None
    if re.match(r"....-..-..[Tt ]24", value):  # RFC 3339 hours are 00-23; Python 3.14 reads 24:00
        return None
    try:
        dt = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.timestamp() * 1000) if dt.microsecond == 0 else round(dt.timestamp() * 1000)


# --- settings ---------------------------------------------------------------------------------


class Presence(StrEnum):
    """When a setting must be written in the config (and so is always sent)."""

    REQUIRED = "required"  # always; the PUT requires it
    IN_GROUP = "in_group"  # required when its section is written (the section itself is optional)
    WHEN_ON = "when_on"  # required when its switch (`switch`) is on
    OPTIONAL = "optional"  # may be left out: then neither sent nor compared


class Send(StrEnum):
    """When a managed setting goes into the PUT body."""

    ALWAYS = "always"
    WHEN_CHANGED = "when_changed"  # the invite code: only when it differs from the live one


@dataclass(frozen=True)
class Setting:
    attr: str  # the model's attribute (model.Settings)
    path: str  # dotted path in a leader's YAML
    api: str  # the exchange's field name
    codec: Codec
    presence: Presence = Presence.REQUIRED
    switch: str | None = None  # attr of the switch this setting depends on (WHEN_ON, when_off)
    when_off: str | None = None  # a rule name: written while the switch is off is that error (else allowed)
    sensitive: bool = False
    send: Send = Send.ALWAYS
    env_key: str | None = None  # a sibling YAML key naming an env variable that holds the value
    description: str | None = None

    @property
    def key(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def section(self) -> str:
        return self.path.rpartition(".")[0]


POSITION_TYPES = Choice({"all": -1, "cross": 0, "isolated": 1}, "Lead position type: all (-1), cross (0) or isolated (1).")
PROFIT_PERIODS = Choice({"daily": 1, "weekly": 7}, "Profit sharing period: daily (1) or weekly (7).")
ON_OFF = Switch()
AMOUNT = Amount()
RATE = Amount(maximum=1)
# profitRate is a share of the followers' profit: the exchange's reference gives no range, but
# a value above 1 is meaningless (the exchange answers -120072); the level caps are the policy's
SHARE = Amount(maximum=1, description="a share from 0 to 1 (0.1 is 10%) with at most 8 decimal places, such as \"0.1\"")
INVITE_CODE = InviteCode()

SETTINGS: tuple[Setting, ...] = (
    Setting("cooldown_enabled", "settings.cooldown.enabled", "unLeadType", ON_OFF),
    Setting("cooldown_start", "settings.cooldown.start", "unLeadStartTime", EpochMillis(), Presence.OPTIONAL,
            switch="cooldown_enabled", when_off="cooldown_times_need_enabled"),
    Setting("cooldown_end", "settings.cooldown.end", "unLeadEndTime", EpochMillis(), Presence.WHEN_ON,
            switch="cooldown_enabled", when_off="cooldown_times_need_enabled"),
    Setting("position_type", "settings.position_type", "leadPositionType", POSITION_TYPES),
    Setting("trade_protection", "settings.trade_protection", "tradeProtect", ON_OFF, description="Trade protection switch (tradeProtect)."),
    Setting("profit_period", "settings.profit_sharing.period", "profitPeriod", PROFIT_PERIODS),
    Setting("profit_rate", "settings.profit_sharing.rate", "profitRate", SHARE),
    Setting("follower_min_asset", "settings.follower_minimums.asset", "followAssetLowerLimit", AMOUNT),
    Setting("follower_min_fixed_amount", "settings.follower_minimums.fixed_amount", "fixedAmountFollowMin", AMOUNT),
    Setting("follower_min_fixed_rate", "settings.follower_minimums.fixed_rate", "fixedRateFollowMin", AMOUNT),
    Setting("invite_required", "settings.invite.required", "isNeedInvite", ON_OFF),
    Setting("invite_scope", "settings.invite.scope", "inviteScope", Integer()),
    Setting("invite_code", "settings.invite.code", "inviteCode", INVITE_CODE, Presence.OPTIONAL,
            switch="invite_required", when_off="invite_code_needs_required",
            sensitive=True, send=Send.WHEN_CHANGED, env_key="code_env"),
    Setting("referral_enabled", "settings.referral_sharing.enabled", "recommendShare", ON_OFF, Presence.IN_GROUP),
    Setting("referral_rate", "settings.referral_sharing.rate", "recommendShareRate", RATE, Presence.WHEN_ON,
            switch="referral_enabled"),
)

BY_ATTR = {s.attr: s for s in SETTINGS}

# Sections of `settings:` with what they are; a section whose settings are all
# IN_GROUP/optional may be left out ("omitted = left as it is on the exchange").
SECTIONS = {
    "settings.cooldown": "Cool-down window (unLeadType, unLeadStartTime, unLeadEndTime).",
    "settings.profit_sharing": "Profit sharing (profitPeriod, profitRate).",
    "settings.follower_minimums": "Follower minimums (followAssetLowerLimit, fixedAmountFollowMin, fixedRateFollowMin).",
    "settings.invite": "Private invitation (isNeedInvite, inviteScope, inviteCode).",
    "settings.referral_sharing": "Referral sharing (recommendShare, recommendShareRate); omit to leave it as it is on the exchange.",
}

# The symbol list: not a Setting (a set, diffed by member), but named here once.
SYMBOLS_PATH = "symbols"
SYMBOLS_FIELD = "symbolIds"

# Every path `ignore:` accepts: a setting, a section (subtree), `settings`, or the symbols.
IGNORABLE = frozenset({s.path for s in SETTINGS} | set(SECTIONS) | {"settings", SYMBOLS_PATH})


def covers(paths, path: str) -> bool:
    """Whether `path` is one of `paths` or below one of them (`ignore:` takes subtrees)."""
    return any(path == p or path.startswith(p + ".") for p in paths)


def managed(setting: Setting, values) -> bool:
    """Whether desired `values` (a model.Settings) say anything about `setting`."""
    if getattr(values, setting.attr) is None:
        return False
    return setting.when_off is None or getattr(values, setting.switch) is True


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    code: int | None  # the exchange code it avoids; None when the exchange documents none
    message: str  # str.format template, what happened and what to do
    path: str | None = None  # the path it reports at
    forbids: dict | None = None  # JSON Schema the value at `path` must not match (while its switch is on)

    def say(self, **values) -> str:
        return self.message.format(**values)


RULES: tuple[Rule, ...] = (
    # validate, on one leader's merged config (those with `forbids` are in the JSON Schema too)
    Rule("leaders_or_profiles", None, "missing required key 'leaders' (or 'profiles' or 'policy')"),
    Rule("cooldown_end_not_zero", -120078,
         "must not be 0 (1970-01-01T00:00:00Z) when cooldown is enabled: set the end of the cool-down window", "settings.cooldown.end",
         forbids={"const": 0}),
    Rule("cooldown_end_after_start", -120078,
         "the cool-down end must not be before its start", "settings.cooldown.end"),
    Rule("cooldown_times_need_enabled", None,
         "not allowed when cooldown is disabled (enabled: false): remove {key!r}"),
    Rule("invite_code_needs_required", None,
         "an invite code is only used with `required: true`: remove it or set required: true"),
    Rule("invite_code_or_env", None, "set either 'code' or 'code_env', not both", "settings.invite"),
    Rule("invite_code_chinese", -120512,
         "the invite code must not contain Chinese characters", "settings.invite.code"),
    Rule("referral_rate_positive", -120072,
         "must be greater than 0 when referral sharing is enabled", "settings.referral_sharing.rate",
         forbids={"oneOf": [{"type": "string", "pattern": "^0+(\\.0+)?$"}, {"type": "number", "const": 0}]}),
    # validate, across every leader of the config set
    Rule("leader_name_unique", None,
         "leader {name!r} is already defined at {first}: leader names must be unique across files"),
    Rule("profile_name_unique", None,
         "profile {name!r} is already defined at {first}: profile names must be unique across files"),
    Rule("policy_unique", None,
         "a policy is already defined at {first}: the config set has one policy: merge the two"),
    # validate, on the policy itself, and on every merged leader against its limits
    Rule("limit_min_above_max", None, "min {low} is above max {high}: swap them or fix one"),
    Rule("window_schedule", None,
         "{schedule!r} is not a 5-field cron schedule (minute hour day-of-month month day-of-week, in UTC): {why}"),
    Rule("window_duration", None, "{text!r} is outside 1m..7d: write minutes, hours or days such as 90m, 3h, 1h30m, 2d"),
    Rule("limit_max", None, "{value} is above the policy's max {bound} ({where})"),
    Rule("limit_min", None, "{value} is below the policy's min {bound} ({where})"),
    Rule("limit_one_of", None, "{value} is not one of the policy's one_of: {bounds} ({where})"),
    Rule("credential_env_private", None,
         "{env} is already the {role} of leader {owner!r} ({first}): each leader's API key and secret "
         "must have variables of their own, never shared or used as an invite code (code_env)"),
    # plan: the desired state against the live state
    Rule("symbol_available", None,
         "symbol {symbol} is not among this leader's available pairs: remove it from symbols", SYMBOLS_PATH),
    Rule("symbol_in_use", -32090,
         "symbol {symbol} has current lead orders and cannot be disabled (the exchange would answer -32090): "
         "close them first or keep it in symbols", SYMBOLS_PATH),
    Rule("removal_budget", None,
         "more than {limit} followers to remove for {names}{where}: pass --force to confirm (nothing was written)"),
    Rule("position_type_held", -32093,
         "position_type cannot change to {wanted} while current lead orders hold {held} positions "
         "(the exchange would answer -32093): close them first", "settings.position_type"),
)

RULE = {r.name: r for r in RULES}



# --- the policy: the desk's own rules (docs/contract.md §10) ------------------------------------


class WindowKind(StrEnum):
    """A change window: `allow` lets changes through only while one is active, `deny` holds them."""

    ALLOW = "allow"
    DENY = "deny"


FOLLOWERS_PATH = "followers"  # what follower removals touch, for windows' `paths`
# Settings a limit may bound: every setting but the invite code (a policy never holds codes)
LIMITABLE = tuple(s for s in SETTINGS if not s.sensitive)
# Paths a window governs: what `ignore:` takes, plus the follower removals
WINDOW_PATHS = frozenset(IGNORABLE | {FOLLOWERS_PATH})
DURATION_PATTERN = "^([0-9]{1,5}d([0-9]{1,5}h)?([0-9]{1,5}m)?|[0-9]{1,5}h([0-9]{1,5}m)?|[0-9]{1,6}m)$"
DURATION_MINUTES = (1, 7 * 24 * 60)  # a window lasts 1m..7d
SCHEDULE_PATTERN = r"^\S+(\s+\S+){4}$"  # five fields (the cron library checks each)
DEFAULT_MAX_FOLLOWER_REMOVALS = 10  # per leader per run without --force


def bounded(setting: Setting) -> bool:
    """Whether `min`/`max` apply to a setting (numbers); `one_of` applies to every setting."""
    return isinstance(setting.codec, (Amount, Integer))


def duration_minutes(text: str) -> int | None:
    """`1h30m` -> 90; None when it is not written as days, hours and minutes."""
    m = re.fullmatch(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?", text) if isinstance(text, str) and text else None
    if m is None:
        return None
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return (days * 24 + hours) * 60 + minutes


def value_text(setting: Setting, value) -> str:
    """A value as a policy message shows it: `0.15`, `cross`, `true`."""
    return decimal_text(value) if isinstance(value, Decimal) else setting.codec.to_text(value)

# What to do about an exchange code whose rule this spec defines: handed to the
# exchange client (ConnectionSettings.advice), which imports nothing of the app.
EXCHANGE_ADVICE: dict[int, str] = {RULE["invite_code_chinese"].code: f"use {INVITE_CODE.rule_text()}"}

