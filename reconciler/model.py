"""The plain data that flows through leaderctl: desired -> live -> plan -> result.

Values are already normalised here (Decimal for decimals, int epoch millis for
timestamps, bool for switches, user words for enums), so comparing two models is
comparing values, never their JSON or YAML spelling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a value was written, for `FILE:LINE:COL:` messages (1-based)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Settings:
    """One leader's config, in the user's words (see fields.FIELDS for the API names).

    `None` means "not stated": for desired state it is not managed, for live state
    the exchange did not report it.
    """

    cooldown_enabled: bool | None = None
    cooldown_start: int | None = None
    cooldown_end: int | None = None
    position_type: str | None = None  # all | cross | isolated
    trade_protection: bool | None = None
    profit_period: str | None = None  # daily | weekly
    profit_rate: Decimal | None = None
    follower_min_asset: Decimal | None = None
    follower_min_fixed_amount: Decimal | None = None
    follower_min_fixed_rate: Decimal | None = None
    invite_required: bool | None = None
    invite_scope: int | None = None
    invite_code: str | None = field(default=None, repr=False)
    referral_enabled: bool | None = None
    referral_rate: Decimal | None = None


@dataclass(frozen=True)
class Credentials:
    """Names of environment variables, never the values."""

    api_key_env: str
    api_secret_env: str


@dataclass(frozen=True)
class LeaderSpec:
    """One leader's desired state as read from the config files."""

    name: str
    credentials: Credentials
    settings: Settings
    symbols: tuple[str, ...]
    follower_removals: tuple[int, ...] = ()
    invite_code_env: str | None = None
    location: Location | None = None
    # dotted path (e.g. "settings.profit_sharing.rate") -> where it was written
    locations: dict[str, Location] = field(default_factory=dict, compare=False, repr=False)

    def where(self, path: str) -> Location | None:
        """The closest written location of `path` (falls back to parents, then the leader)."""
        full = f"leaders.{self.name}.{path}" if path else f"leaders.{self.name}"
        while full:
            if full in self.locations:
                return self.locations[full]
            full = full.rpartition(".")[0]
        return self.location


@dataclass(frozen=True)
class Desired:
    leaders: dict[str, LeaderSpec]
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class LeadOrder:
    symbol: str
    position_type: str | None  # cross | isolated | None when unknown


@dataclass(frozen=True)
class Live:
    """What the exchange reports for one leader."""

    settings: Settings
    symbols: tuple[str, ...]  # currently enabled lead pairs
    available: tuple[str, ...]  # every pair the leader may enable
    lead_orders: tuple[LeadOrder, ...] = ()


@dataclass(frozen=True)
class Change:
    path: str  # user path, e.g. settings.profit_sharing.rate or symbols
    field: str  # API field, e.g. profitRate or symbolIds
    action: str  # update | add | remove
    before: object = None
    after: object = None
    sensitive: bool = False


@dataclass(frozen=True)
class Problem:
    message: str
    code: int | None = None
    path: str | None = None


@dataclass
class LeaderPlan:
    name: str
    status: str  # in_sync | changes | blocked | error
    changes: list[Change] = field(default_factory=list)
    follower_removals: tuple[int, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    # what apply will send; holds the invite code, so it is never rendered or saved
    body: dict | None = field(default=None, repr=False)
    live_fingerprint: str | None = None


@dataclass
class Plan:
    leaders: list[LeaderPlan]
    config_fingerprint: str | None = None
    paths: tuple[str, ...] = ()

    def exit_code(self, detailed: bool) -> int:
        """plan/drift: 1 when a leader is blocked or in error (the plan is not the whole truth),
        else 2 for changes when `detailed` (--detailed-exitcode, drift), else 0."""
        statuses = {lp.status for lp in self.leaders}
        if statuses & {"blocked", "error"}:
            return 1
        return 2 if detailed and "changes" in statuses else 0


@dataclass
class LeaderResult:
    plan: LeaderPlan
    result: str  # applied | in_sync | partial | failed | blocked
    messages: list[str] = field(default_factory=list)
    removals: dict[int, str] = field(default_factory=dict)  # id -> removed|not_found|pending|failed|unknown
    put_sent: bool = False


@dataclass
class Result:
    leaders: list[LeaderResult]
