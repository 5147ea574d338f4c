"""The plain data that flows through leaderctl: desired -> live -> plan -> result.

Values are typed here (Decimal for decimals, int epoch millis for timestamps, bool
for switches, user words for enums), so comparing two models is comparing values,
never their JSON or YAML spelling. Presentation (quotes, "(sensitive)", ISO times)
belongs to the renderers, which format each value with its setting's codec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Callable

from reconciler import spec
from reconciler.errors import UnsafePlan


@dataclass(frozen=True)
class Location:
    """Where a value was written, for `FILE:LINE:COL:` messages (1-based)."""

    file: str
    line: int
    col: int
    origin: str = field(default="", compare=False)  # "leader desk-a" or "profile standard"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Settings:
    """One leader's config in the user's words: one attribute per spec.SETTINGS row.

    `None` means "not stated": for desired state it is not managed, for live state the
    exchange did not report it. Declared here so that editors and type checkers see the
    fields; tests/core/test_model_settings.py keeps it equal to spec.SETTINGS (names,
    order, and sensitive values left out of repr).
    """

    cooldown_enabled: bool | None = None
    cooldown_start: int | None = None  # epoch millis
    cooldown_end: int | None = None  # epoch millis
    position_type: str | None = None  # all | cross | isolated
    trade_protection: bool | None = None
    profit_period: str | None = None  # daily | weekly
    profit_rate: Decimal | None = None
    follower_min_asset: Decimal | None = None
    follower_min_fixed_amount: Decimal | None = None
    follower_min_fixed_rate: Decimal | None = None
    invite_required: bool | None = None
    invite_scope: int | None = None
    invite_code: str | None = field(default=None, repr=False)  # sensitive
    referral_enabled: bool | None = None
    referral_rate: Decimal | None = None


@dataclass(frozen=True)
class Credentials:
    """Names of environment variables, never the values."""

    api_key_env: str
    api_secret_env: str


@dataclass(frozen=True)
class LeaderSpec:
    """One leader's desired state as read (and merged) from the config files."""

    name: str
    credentials: Credentials
    settings: Settings
    symbols: tuple[str, ...]
    follower_removals: tuple[int, ...] = ()
    invite_code_env: str | None = None
    location: Location | None = None
    # leader-relative dotted path (e.g. "settings.profit_sharing.rate") -> where it, or its
    # closest written parent, was written (profile or leader); looked up only when asked
    locate: Callable[[str], Location | None] | None = field(default=None, compare=False, repr=False)
    ignored: tuple[str, ...] = ()  # paths left as they are on the exchange (`ignore:`)
    profiles: tuple[str, ...] = ()  # the profiles merged into it, in order

    def where(self, path: str) -> Location | None:
        """The closest written location of `path` (falls back to parents, then the leader)."""
        found = self.locate(path) if self.locate is not None and path else None
        return found or self.location

    def ignores(self, path: str) -> bool:
        return spec.covers(self.ignored, path)


@dataclass(frozen=True)
class Desired:
    leaders: dict[str, LeaderSpec]
    files: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    fingerprint: str = ""  # of the files as they were read (config.load_desired)


@dataclass(frozen=True)
class LeadOrder:
    symbol: str
    position_type: str | None  # cross | isolated | None when unknown


@dataclass(frozen=True)
class Live:
    """What the exchange reports for one leader. `None`: that endpoint was not read."""

    settings: Settings
    symbols: tuple[str, ...]  # currently enabled lead pairs
    available: tuple[str, ...] | None = None  # every pair the leader may enable (GET symbols)
    lead_orders: tuple[LeadOrder, ...] | None = None  # current lead orders (GET orders/current)


class LeaderStatus(StrEnum):
    IN_SYNC = "in_sync"
    CHANGES = "changes"
    BLOCKED = "blocked"
    ERROR = "error"


class Action(StrEnum):
    UPDATE = "update"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class Change:
    """One difference. Values are typed; `setting` (None for symbols) formats them."""

    path: str  # user path, e.g. settings.profit_sharing.rate or symbols
    field: str  # API field, e.g. profitRate or symbolIds
    action: Action
    before: object = None
    after: object = None
    setting: spec.Setting | None = field(default=None, compare=False, repr=False)
    source: Location | None = field(default=None, compare=False)  # where `after` was written

    def __post_init__(self):
        object.__setattr__(self, "action", Action(self.action))

    @property
    def sensitive(self) -> bool:
        return self.setting is not None and self.setting.sensitive


@dataclass(frozen=True)
class Problem:
    message: str
    code: int | None = None
    path: str | None = None


@dataclass
class LeaderPlan:
    name: str
    status: LeaderStatus
    changes: list[Change] = field(default_factory=list)
    follower_removals: tuple[int, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    ignored: tuple[str, ...] = ()
    # what apply will send; holds the invite code, so it is never rendered or saved
    body: dict | None = field(default=None, repr=False)
    live_fingerprint: str | None = None
    # keyed hashes (reconciler/binding.py): of the sensitive values the PUT carries (None:
    # none), and of the account the plan was read from (None: not read)
    sealed: str | None = field(default=None, repr=False)
    account: str | None = field(default=None, repr=False)

    def __post_init__(self):
        self.status = LeaderStatus(self.status)

    @property
    def writes(self) -> bool:
        """Whether apply would send anything for this leader."""
        return (self.status is LeaderStatus.CHANGES and bool(self.changes)) or (
            self.status in (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC) and bool(self.follower_removals)
        )


MAX_REMOVALS_WITHOUT_FORCE = 10


@dataclass
class Plan:
    leaders: list[LeaderPlan]
    config_fingerprint: str | None = None
    paths: tuple[str, ...] = ()
    endpoint: str | None = None  # where it was read: an exchange URL, or "sandbox" (--sandbox)

    def exit_code(self, detailed: bool) -> int:
        """plan/drift: 1 when a leader is blocked or in error (the plan is not the whole truth),
        else 2 for changes when `detailed` (--detailed-exitcode, drift), else 0."""
        statuses = {lp.status for lp in self.leaders}
        if statuses & {LeaderStatus.BLOCKED, LeaderStatus.ERROR}:
            return 1
        return 2 if detailed and LeaderStatus.CHANGES in statuses else 0

    def count(self, status: LeaderStatus) -> int:
        return sum(1 for lp in self.leaders if lp.status is status)

    def raise_if_unsafe(self, force: bool) -> None:
        """More than MAX_REMOVALS_WITHOUT_FORCE follower removals for one leader need `force`."""
        many = [lp.name for lp in self.leaders if lp.writes and len(lp.follower_removals) > MAX_REMOVALS_WITHOUT_FORCE]
        if many and not force:
            raise UnsafePlan(
                f"more than {MAX_REMOVALS_WITHOUT_FORCE} followers to remove for {', '.join(many)}: "
                "pass --force to confirm (nothing was written)"
            )


class LeaderOutcome(StrEnum):
    """apply's result per leader (CONTRACT §4 and §6)."""

    APPLIED = "applied"
    IN_SYNC = "in_sync"
    PARTIAL = "partial"
    FAILED = "failed"
    BLOCKED = "blocked"
    NOT_STARTED = "not_started"


CONVERGED = frozenset({LeaderOutcome.APPLIED, LeaderOutcome.IN_SYNC})


class Removal(StrEnum):
    """What became of one follower removal."""

    REMOVED = "removed"
    NOT_FOUND = "not_found"  # -32045: already gone, counts as done
    PENDING = "pending"  # -120055: has a copy position
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, no clear answer
    NOT_STARTED = "not_started"  # interrupted before it was sent


@dataclass
class LeaderResult:
    plan: LeaderPlan
    result: LeaderOutcome
    messages: list[str] = field(default_factory=list)
    removals: dict[int, Removal] = field(default_factory=dict)
    put_sent: bool = False

    def __post_init__(self):
        self.result = LeaderOutcome(self.result)

    @property
    def wrote(self) -> bool:
        """Whether anything was (or may have been) written for this leader."""
        return self.put_sent or any(r in (Removal.REMOVED, Removal.PENDING, Removal.UNKNOWN) for r in self.removals.values())


@dataclass
class Result:
    leaders: list[LeaderResult]
    interrupted: bool = False

    def exit_code(self) -> int:
        """0 all converged; 3 something was written (or is pending) but not all converged; 1 nothing written."""
        if not self.interrupted and all(r.result in CONVERGED for r in self.leaders):
            return 0
        return 3 if any(r.wrote for r in self.leaders) else 1

    def count(self, outcome: LeaderOutcome) -> int:
        return sum(1 for r in self.leaders if r.result is outcome)
