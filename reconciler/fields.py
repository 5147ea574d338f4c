"""The one table that maps the user's words to the exchange's field names.

Everything that converts between a `Settings` attribute, its YAML path and its
`PUT/GET .../leader/config` field goes through FIELDS, so an API rename is a
one-line change here.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

POSITION_TYPES = {"all": -1, "cross": 0, "isolated": 1}
PROFIT_PERIODS = {"daily": 1, "weekly": 7}

SYMBOLS_PATH = "symbols"
SYMBOLS_FIELD = "symbolIds"
SENSITIVE = "(sensitive)"


class Codec:
    """Converts one field between its user value and its API value."""

    def to_api(self, value):
        return value

    def from_api(self, raw):
        return raw


class Switch(Codec):
    def to_api(self, value):
        return 1 if value else 0

    def from_api(self, raw):
        return None if raw is None else int(raw) == 1


class Integer(Codec):
    def from_api(self, raw):
        return None if raw is None or raw == "" else int(raw)


class EpochMillis(Integer):
    """Timestamps: the GET answers strings, the PUT sends JSON numbers."""


class Dec(Codec):
    def to_api(self, value):
        return None if value is None else format(value, "f")

    def from_api(self, raw):
        if raw is None or raw == "":
            return None
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"not a decimal: {raw!r}") from None


class Enum(Codec):
    def __init__(self, mapping: dict[str, int]):
        self.mapping = mapping
        self.reverse = {v: k for k, v in mapping.items()}

    def to_api(self, value):
        return self.mapping[value]

    def from_api(self, raw):
        if raw is None:
            return None
        return self.reverse.get(int(raw), str(raw))


class Text(Codec):
    def from_api(self, raw):
        return None if raw in (None, "") else str(raw)


@dataclass(frozen=True)
class Field:
    attr: str  # Settings attribute
    path: str  # dotted path in a leader's YAML
    api: str  # exchange field name
    codec: Codec
    sensitive: bool = False


FIELDS: tuple[Field, ...] = (
    Field("cooldown_enabled", "settings.cooldown.enabled", "unLeadType", Switch()),
    Field("cooldown_start", "settings.cooldown.start", "unLeadStartTime", EpochMillis()),
    Field("cooldown_end", "settings.cooldown.end", "unLeadEndTime", EpochMillis()),
    Field("position_type", "settings.position_type", "leadPositionType", Enum(POSITION_TYPES)),
    Field("trade_protection", "settings.trade_protection", "tradeProtect", Switch()),
    Field("profit_period", "settings.profit_sharing.period", "profitPeriod", Enum(PROFIT_PERIODS)),
    Field("profit_rate", "settings.profit_sharing.rate", "profitRate", Dec()),
    Field("follower_min_asset", "settings.follower_minimums.asset", "followAssetLowerLimit", Dec()),
    Field("follower_min_fixed_amount", "settings.follower_minimums.fixed_amount", "fixedAmountFollowMin", Dec()),
    Field("follower_min_fixed_rate", "settings.follower_minimums.fixed_rate", "fixedRateFollowMin", Dec()),
    Field("invite_required", "settings.invite.required", "isNeedInvite", Switch()),
    Field("invite_scope", "settings.invite.scope", "inviteScope", Integer()),
    Field("invite_code", "settings.invite.code", "inviteCode", Text(), sensitive=True),
    Field("referral_enabled", "settings.referral_sharing.enabled", "recommendShare", Switch()),
    Field("referral_rate", "settings.referral_sharing.rate", "recommendShareRate", Dec()),
)

BY_ATTR = {f.attr: f for f in FIELDS}
BY_API = {f.api: f for f in FIELDS}
BY_PATH = {f.path: f for f in FIELDS}
