"""The plain data that flows through leaderctl: desired -> live -> plan -> result.

Values are typed here (Decimal for decimals, int epoch millis for timestamps, bool
for switches, user words for enums), so comparing two models is comparing values,
never their JSON or YAML spelling. Presentation (quotes, ISO times) belongs to the
renderers, which format each value with its setting's codec.

A `Plan` is also an artifact: `Plan.to_dict()` is the plan JSON (docs/contract.md,
"Plan JSON"), with `saved=True` the plan file's body too, and `Plan.from_dict()` reads
either back after checking its `format_version`. The JSON renderer, the plan file and
the digest all read and write through these, so the shape is written once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Callable

from reconciler import spec
from reconciler.errors import PlanFileError, UnsafePlan

FORMAT_VERSION = "1"  # of the plan JSON and the plan file
_SETTING_AT = {s.path: s for s in spec.SETTINGS}


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

    def variables(self) -> tuple[str, ...]:
        """Every environment variable this leader reads: API key, secret, invite code."""
        names = (self.credentials.api_key_env, self.credentials.api_secret_env)
        return names + ((self.invite_code_env,) if self.invite_code_env else ())


@dataclass(frozen=True)
class Limit:
    """A policy bound on one setting's merged desired value (typed like the setting)."""

    path: str
    minimum: object = None
    maximum: object = None
    one_of: tuple | None = None
    location: Location | None = None  # where the limit is written


@dataclass(frozen=True)
class Window:
    """A policy change window: active from each time `schedule` fires (UTC) for `minutes`."""

    index: int  # its place in `policy.windows` (what plan JSON's `held.window` names)
    kind: spec.WindowKind
    schedule: str
    minutes: int
    paths: tuple[str, ...] = ()  # the changes it governs; empty: every change and follower removal
    leaders: tuple[str, ...] = ()  # shell-style name patterns; empty: every leader
    location: Location | None = None

    def describe(self) -> str:
        """`deny "0 7 * * *" for 1h`."""
        days, rest = divmod(self.minutes, 1440)
        hours, minutes = divmod(rest, 60)
        length = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)
        return f'{self.kind} "{self.schedule}" for {length}'


@dataclass(frozen=True)
class Policy:
    """The desk's own rules (docs/contract.md §10); the default is no policy."""

    limits: tuple[Limit, ...] = ()
    windows: tuple[Window, ...] = ()
    max_follower_removals: int = spec.DEFAULT_MAX_FOLLOWER_REMOVALS
    location: Location | None = None  # where `policy:` is written; None: no policy

    def removals_source(self) -> str:
        """Where the removal budget comes from, for messages."""
        return f" (the policy's max_follower_removals, {self.location})" if self.location else ""


@dataclass(frozen=True)
class Hold:
    """Why apply may not write a leader now: the windows hold one of its changes."""

    until: datetime | None  # the first minute (UTC) the windows let it through; None: not within the look-ahead
    window: int  # the index of the window that holds it now
    reason: str = ""  # that window, in words: `deny "0 7 * * *" for 1h`

    @classmethod
    def from_dict(cls, d: dict) -> Hold:
        """Plan JSON's `held` (its `until` in UTC, or null), read back."""
        until = datetime.strptime(d["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if d["until"] else None
        return cls(until=until, window=int(d["window"]))

    def until_text(self) -> str:
        return self.until.strftime("%Y-%m-%dT%H:%M:%SZ") if self.until else "further than leaderctl looks ahead (a year)"

    def line(self) -> str:
        """`held until 2026-12-07T08:00:00Z by policy windows[0] (deny "0 7 * * *" for 1h)`: every renderer's words."""
        return f"held until {self.until_text()} by policy windows[{self.window}]" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class Desired:
    leaders: dict[str, LeaderSpec]
    files: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    fingerprint: str = ""  # of the files as they were read (config.load_desired)
    policy: Policy = Policy()


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

    def json_value(self, value):
        """One value of this change in the plan JSON: its codec's spelling, "(sensitive)" for a secret."""
        if value is None:
            return None
        if self.sensitive:
            return spec.SENSITIVE_TEXT
        return value if self.setting is None else self.setting.codec.to_json(value)

    def to_dict(self, explain: bool = False) -> dict:
        out = {"path": self.path, "field": self.field, "action": self.action.value}
        if self.action is not Action.ADD:
            out["before"] = self.json_value(self.before)
        if self.action is not Action.REMOVE:
            out["after"] = self.json_value(self.after)
        if explain and self.source is not None:
            s = self.source
            out["source"] = {"file": s.file, "line": s.line, "col": s.col, "from": s.origin}
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Change:
        """The change `to_dict` wrote; values typed again by their setting's codec (a secret
        stays "(sensitive)": it was never written)."""
        setting = _SETTING_AT.get(d["path"])

        def typed(value):
            if value is None or setting is None or setting.sensitive:
                return value
            try:
                return setting.codec.from_yaml(value)
            except (ArithmeticError, ValueError, TypeError) as e:
                raise PlanFileError(f"{d['path']}: {value!r} is not a value of this setting") from e

        return cls(d["path"], d["field"], Action(d["action"]), typed(d.get("before")), typed(d.get("after")), setting=setting)


@dataclass(frozen=True)
class Problem:
    message: str
    code: int | None = None
    path: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        return cls(d["message"], d.get("code"))


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
    held: Hold | None = None  # the policy's windows hold its writes now (windows.hold_plan)

    def __post_init__(self):
        self.status = LeaderStatus(self.status)

    @property
    def touches(self) -> list[str]:
        """The paths apply would write for this leader: its changes', and `followers` for removals."""
        paths = list(dict.fromkeys(c.path for c in self.changes)) if self.status is LeaderStatus.CHANGES else []
        return paths + ([spec.FOLLOWERS_PATH] if self.follower_removals else [])

    @property
    def writes(self) -> bool:
        """Whether apply would send anything for this leader."""
        return (self.status is LeaderStatus.CHANGES and bool(self.changes)) or (
            self.status in (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC) and bool(self.follower_removals)
        )

    def to_dict(self, explain: bool = False, saved: bool = False) -> dict:
        """The leader in the plan JSON; `saved`: also what binds it (fingerprint, account, sealed)."""
        out = {
            "name": self.name,
            "status": self.status.value,
            "changes": [c.to_dict(explain) for c in self.changes],
            "follower_removals": list(self.follower_removals),
            "problems": [p.to_dict() for p in self.problems],
            "ignored": list(self.ignored),
        }
        if saved:  # windows are evaluated when the plan is applied, not when it was made
            out.update(live_fingerprint=self.live_fingerprint, account=self.account, sealed=self.sealed)
        elif self.held is not None:  # only when the policy's windows hold it (docs/contract.md §10)
            out["held"] = {"until": self.held.until.strftime("%Y-%m-%dT%H:%M:%SZ") if self.held.until else None,
                           "window": self.held.window}
        return out

    @classmethod
    def from_dict(cls, d: dict) -> LeaderPlan:
        return cls(
            name=d["name"],
            status=LeaderStatus(d["status"]),
            changes=[Change.from_dict(c) for c in d["changes"]],
            follower_removals=tuple(d["follower_removals"]),
            problems=[Problem.from_dict(p) for p in d["problems"]],
            ignored=tuple(d.get("ignored", ())),
            live_fingerprint=d.get("live_fingerprint"),
            sealed=d.get("sealed"),
            account=d.get("account"),
            held=Hold.from_dict(d["held"]) if d.get("held") else None,
        )


@dataclass
class Reading:
    """The planner-to-applier hand-off for one leader: who, through which client, from what."""

    leader: LeaderSpec
    client: object | None = None  # exchange.LeaderClient; None when the leader could not be read
    live: Live | None = None


MAX_REMOVALS_WITHOUT_FORCE = spec.DEFAULT_MAX_FOLLOWER_REMOVALS


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

    def raise_if_unsafe(self, force: bool, policy: Policy | None = None) -> None:
        """More follower removals for one leader than the budget (the policy's
        max_follower_removals, else MAX_REMOVALS_WITHOUT_FORCE) need `force`."""
        policy = policy or Policy()
        limit = policy.max_follower_removals
        many = [lp.name for lp in self.leaders if lp.writes and len(lp.follower_removals) > limit]
        if many and not force:
            raise UnsafePlan(spec.RULE["removal_budget"].say(limit=limit, names=", ".join(many), where=policy.removals_source()))

    def summary(self) -> dict:
        """The counts in the plan JSON's order: leaders, changes, in_sync, blocked, error."""
        order = (LeaderStatus.CHANGES, LeaderStatus.IN_SYNC, LeaderStatus.BLOCKED, LeaderStatus.ERROR)
        return {"leaders": len(self.leaders), **{status.value: self.count(status) for status in order}}

    def held(self) -> int:
        """How many leaders the policy's windows hold (each carries its `held`)."""
        return sum(1 for lp in self.leaders if lp.held is not None)

    def to_dict(self, explain: bool = False, saved: bool = False) -> dict:
        """The plan JSON; `saved`: the plan file's body instead (where and from what it was made,
        each leader's bindings; no summary)."""
        leaders = [lp.to_dict(explain, saved) for lp in self.leaders]
        if not saved:
            return {"format_version": FORMAT_VERSION, "leaders": leaders, "summary": self.summary()}
        return {"format_version": FORMAT_VERSION, "paths": list(self.paths), "config_fingerprint": self.config_fingerprint,
                "endpoint": self.endpoint or "", "leaders": leaders}

    @classmethod
    def from_dict(cls, doc: dict) -> Plan:
        """The plan `to_dict` wrote (either shape). PlanFileError for another format version;
        the shape itself is the caller's to check (the plan file checks its schema first)."""
        problem = version_problem(doc)
        if problem:
            raise PlanFileError(problem)
        return cls(
            leaders=[LeaderPlan.from_dict(lp) for lp in doc["leaders"]],
            config_fingerprint=doc.get("config_fingerprint"),
            paths=tuple(doc.get("paths", ())),
            endpoint=doc.get("endpoint") or None,
        )


def version_problem(doc) -> str | None:
    """Why `doc` is not a plan of the format this leaderctl reads; None when it is."""
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if version == FORMAT_VERSION:
        return None
    return f"plan file format {str(version)[:20]!r} is not supported by this leaderctl (expects {FORMAT_VERSION})"


class LeaderOutcome(StrEnum):
    """apply's result per leader (docs/contract.md §4 and §6)."""

    APPLIED = "applied"
    IN_SYNC = "in_sync"
    PARTIAL = "partial"
    FAILED = "failed"
    BLOCKED = "blocked"
    HELD = "held"  # the policy's windows held its writes: nothing was sent
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
    ignored_windows: bool = False  # apply --ignore-windows: held leaders were written anyway

    def exit_code(self) -> int:
        """0 all converged; 3 something was written (or is pending) but not all converged; 1 nothing written."""
        if not self.interrupted and all(r.result in CONVERGED for r in self.leaders):
            return 0
        return 3 if any(r.wrote for r in self.leaders) else 1

    def count(self, outcome: LeaderOutcome) -> int:
        return sum(1 for r in self.leaders if r.result is outcome)

    def unsettled(self) -> Plan:
        """The plan of the leaders that did not converge: what annotations still point at
        (an applied change is no longer a difference)."""
        return Plan(leaders=[r.plan for r in self.leaders if r.result not in CONVERGED])
