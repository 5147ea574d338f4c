"""The simulated exchange's accounts and business rules, kept in one JSON file.

`Store` owns every account behind one lock and persists it atomically after each
mutation; it also reloads the file when someone edits it while the sandbox runs,
so a user can change the exchange "behind the back" and watch `drift` notice.
`Exchange` implements the leader endpoints on top of it: it knows nothing about
HTTP, it takes parsed parameters and returns `data` or raises `ApiError` with the
documented code and message.

One account is a dict (layout in seed.py). `symbols[].isLead` is the only record
of which pairs are enabled; `config.symbolIds` is derived from it on every GET.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

from reconciler.sandbox.seed import seed_account

log = logging.getLogger(__name__)

STATE_VERSION = 1

MESSAGES = {
    200: "success",
    -1000: "unknown",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current request weight limit exceeded.",
    -1020: "This operation is not supported.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
    -120041: "Copy trading leader is not available.",
    -120047: "Leader does not exist.",
    -120067: "Copy trading level config not found.",
    -120072: "Copy trading leader config is invalid.",
    -120073: "Unable to switch invite setting.",
    -120078: "unLeadStartTime or unLeadEndTime is invalid.",
    -32090: "Trading pair change is not allowed.",
    -32093: "Copy trading position type cannot be changed.",
    -32045: "Copy trading follower not found.",
    -120055: "The follower currently has copy position, cannot be removed.",
    -120510: "Invite code already exists.",
    -120511: "Invite code contains sensitive content.",
    -120512: "Invite code is invalid.",
}


class ApiError(Exception):
    """A documented error answer: `{"code": code, "msg": msg}` with HTTP `status`."""

    def __init__(self, code: int, msg: str | None = None, status: int = 200):
        self.code = code
        self.msg = msg if msg is not None else MESSAGES.get(code, "unknown")
        self.status = status
        super().__init__(f"{code} {self.msg}")


def invalid(name: str) -> ApiError:
    """-1130: a parameter is present but out of range, precision or format."""
    return ApiError(-1130, f"Data sent for paramter '{name}' is not valid.")


def missing(name: str) -> ApiError:
    """-1102: a mandatory parameter is absent or of the wrong JSON type."""
    return ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


# ---------------------------------------------------------------- persistence


class Store:
    """All accounts, one re-entrant lock, atomic JSON persistence.

    Each account's JSON text is cached and only re-rendered when that account
    changed, so persisting after every write stays cheap with many accounts.
    """

    def __init__(self, path: Path | None):
        self.path = Path(path) if path is not None else None
        self.lock = threading.RLock()
        self.accounts: dict[str, dict] = {}
        self._rendered: dict[str, str] = {}
        self._file_signature: tuple | None = None
        if self.path is not None and self.path.exists():
            self._load()

    # -- reading

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self) -> None:
        signature = self._signature()
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("accounts"), dict):
            raise ValueError(f"{self.path}: not a sandbox state file (no 'accounts' object)")
        self.accounts = data["accounts"]
        self._rendered.clear()
        self._file_signature = signature

    def reload_if_changed(self) -> None:
        """Pick up edits made to the file by someone else since we last read or wrote it."""
        if self.path is None:
            return
        with self.lock:
            signature = self._signature()
            if signature is None or signature == self._file_signature:
                return
            try:
                self._load()
                log.info("sandbox state reloaded from %s", self.path)
            except (OSError, ValueError) as exc:  # half-written by an editor: keep ours
                log.warning("sandbox state %s not reloaded: %s", self.path, exc)
                self._file_signature = signature

    # -- writing

    def save(self, changed: str | None = None) -> None:
        """Persist now; `changed` names the only account that changed (None = maybe all)."""
        if self.path is None:
            return
        with self.lock:
            if changed is None:
                self._rendered.clear()
            else:
                self._rendered.pop(changed, None)
            _atomic_write(self.path, self._render())
            self._file_signature = self._signature()

    def _render(self) -> str:
        parts = []
        for name, account in self.accounts.items():
            if name not in self._rendered:
                self._rendered[name] = _render_account(account)
            parts.append(f"    {json.dumps(name)}: {self._rendered[name]}")
        body = ",\n".join(parts)
        return f'{{\n  "version": {STATE_VERSION},\n  "accounts": {{\n{body}\n  }}\n}}\n'

    # -- accounts

    def ensure(self, name: str, leader: bool = True) -> dict:
        with self.lock:
            self.reload_if_changed()
            if name not in self.accounts:
                self.accounts[name] = seed_account(name, leader=leader)
                self.save(changed=name)
            return self.accounts[name]

    def by_key(self, api_key: str) -> tuple[dict, bool] | None:
        """The account owning `api_key`, and whether the key is read-only."""
        with self.lock:
            for account in self.accounts.values():
                if account.get("api_key") == api_key:
                    return account, False
                if account.get("readonly_api_key") == api_key:
                    return account, True
        return None


def _render_account(account: dict) -> str:
    """Pretty enough to edit by hand, compact enough to rewrite on every mutation:
    scalars and small objects indented, record lists one record per line."""
    lines = []
    for key, value in account.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            items = ",\n".join(f"        {json.dumps(v)}" for v in value)
            text = f"[\n{items}\n      ]"
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            items = ",\n".join(f"        {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            text = f"{{\n{items}\n      }}"
        else:
            text = json.dumps(value, indent=2).replace("\n", "\n      ")
        lines.append(f"      {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n    }"


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temp file in the same directory + os.replace: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ------------------------------------------------------ PUT config body shape


def _is_int(raw: Any) -> bool:
    if isinstance(raw, bool):
        return False
    if isinstance(raw, int):
        return True
    return isinstance(raw, str) and re.fullmatch(r"-?\d{1,19}", raw) is not None


@dataclass(frozen=True)
class Int:
    """An integer field; 64-bit values may be sent as strings too."""

    choices: frozenset[int] | None = None
    minimum: int | None = None

    def parse(self, name: str, raw: Any) -> int:
        if not _is_int(raw):
            raise missing(name)
        return int(raw)

    def check(self, name: str, value: int) -> None:
        if self.choices is not None and value not in self.choices:
            raise invalid(name)
        if self.minimum is not None and value < self.minimum:
            raise invalid(name)


@dataclass(frozen=True)
class Dec:
    """A non-negative decimal with at most 8 decimal places, as a string or number."""

    places: int = 8

    def parse(self, name: str, raw: Any) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
            raise missing(name)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise missing(name) from None
        if not value.is_finite():
            raise missing(name)
        return value

    def check(self, name: str, value: Decimal) -> None:
        if value < 0 or (value != 0 and value.normalize().as_tuple().exponent < -self.places):
            raise invalid(name)


@dataclass(frozen=True)
class SymbolList:
    """`symbolIds`: a JSON array of symbol id strings."""

    def parse(self, name: str, raw: Any) -> list:
        if not isinstance(raw, list):
            raise missing(name)
        return raw

    def check(self, name: str, value: list) -> None:
        if not all(isinstance(s, str) and s for s in value):
            raise invalid(name)


@dataclass(frozen=True)
class Text:
    def parse(self, name: str, raw: Any) -> str:
        if not isinstance(raw, str):
            raise missing(name)
        return raw

    def check(self, name: str, value: str) -> None:
        pass


SWITCH = Int(frozenset({0, 1}))

# field -> (parser, mandatory); in the order of the documentation
CONFIG_BODY: dict[str, tuple[Any, bool]] = {
    "unLeadType": (SWITCH, True),
    "unLeadStartTime": (Int(minimum=0), False),
    "unLeadEndTime": (Int(minimum=0), False),
    "leadPositionType": (Int(frozenset({-1, 0, 1})), True),
    "tradeProtect": (SWITCH, True),
    "profitPeriod": (Int(frozenset({1, 7})), True),
    "profitRate": (Dec(), True),
    "followAssetLowerLimit": (Dec(), True),
    "fixedAmountFollowMin": (Dec(), True),
    "fixedRateFollowMin": (Dec(), True),
    "isNeedInvite": (SWITCH, True),
    "inviteScope": (Int(minimum=0), True),
    "symbolIds": (SymbolList(), True),
    "recommendShare": (SWITCH, False),
    "recommendShareRate": (Dec(), False),
    "inviteCode": (Text(), False),
}

# GET config answers these fields, in this order (NOTES.md section 1)
CONFIG_FIELDS = (
    "unLeadType", "unLeadStartTime", "unLeadEndTime", "leadPositionType", "tradeProtect",
    "profitPeriod", "profitRate", "followAssetLowerLimit", "fixedAmountFollowMin",
    "fixedRateFollowMin", "isNeedInvite", "inviteScope", "symbolIds", "recommendShare",
    "recommendShareRate", "inviteCode",
)
DECIMAL_FIELDS = tuple(f for f, (p, _) in CONFIG_BODY.items() if isinstance(p, Dec))
LEVEL_FIELDS = ("profitRate", "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin")
FOLLOWER_FIELDS = ("followerNickname", "followAmountLimit", "totalFollowMargin", "totalProfit", "followRunningMills")

SENSITIVE_WORDS = ("admin", "toobit", "fuck", "shit", "official", "scam")
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
TRADE_PERIODS = frozenset({7, 30, 90, 180, 365})
MAX_PAGE_SIZE = 100


def parse_config_body(body: Any) -> dict[str, Any]:
    """Shape first (-1102 for anything missing or mistyped), then ranges (-1130).

    The invite code is only looked at when isNeedInvite=1, as documented.
    """
    if not isinstance(body, dict):
        raise missing("body")
    values: dict[str, Any] = {}
    for name, (parser, mandatory) in CONFIG_BODY.items():
        raw = body.get(name)
        if raw is None:
            if mandatory:
                raise missing(name)
            continue
        if name == "inviteCode" and values.get("isNeedInvite") != 1:
            continue
        values[name] = parser.parse(name, raw)
    for name, value in values.items():
        CONFIG_BODY[name][0].check(name, value)
    return values


def canonical(value: Decimal) -> str:
    """The exchange's spelling of a decimal: plain, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ------------------------------------------------------------------ endpoints


def page_params(query: dict[str, str]) -> tuple[int, int]:
    page, size = query.get("page", "1"), query.get("size", "10")
    for name, raw in (("page", page), ("size", size)):
        if not _is_int(raw):
            raise invalid(name)
    page, size = int(page), int(size)
    if page < 1:
        raise invalid("page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid("size")
    return page, size


def paginate(items: list, page: int, size: int, project: Callable[[dict], dict] = dict) -> dict:
    total = len(items)
    pages = (total + size - 1) // size
    chunk = items[(page - 1) * size : page * size]
    return {"pages": str(pages), "total": str(total), "list": [project(i) for i in chunk]}


class Exchange:
    """The leader endpoints, one method each, on the accounts of a Store.

    Order of checks in every method: parameters (-1102/-1130), then that the
    account is an active leader, then business rules; nothing changes unless
    every check passed.
    """

    def __init__(self, store: Store):
        self.store = store

    @staticmethod
    def _require_leader(account: dict, code: int = -120041) -> None:
        if not account.get("leader"):
            raise ApiError(code)

    # -- reads

    def orders_current(self, account: dict, query: dict) -> list:
        self._require_leader(account)
        return [dict(o) for o in account["orders_current"]]

    def orders_history(self, account: dict, query: dict) -> dict:
        page, size = page_params(query)
        self._require_leader(account)
        return paginate(account["orders_history"], page, size)

    def trade_data(self, account: dict, query: dict) -> list:
        raw = query.get("type", "7")
        if not _is_int(raw) or int(raw) not in TRADE_PERIODS:
            raise invalid("type")
        self._require_leader(account)
        data = dict(account["trade_data"][str(int(raw))])
        data["currentFollowerCount"] = str(len(account["followers"]))
        return [data]

    def profit_sharings(self, account: dict, query: dict) -> list:
        self._require_leader(account)
        return [dict(r) for r in account["profit_sharings"][:100]]

    def symbols(self, account: dict, query: dict) -> list:
        self._require_leader(account)
        return [dict(s) for s in account["symbols"]]

    def get_config(self, account: dict, query: dict) -> dict:
        self._require_leader(account)
        config = dict(account["config"])
        config["symbolIds"] = [s["symbolId"] for s in account["symbols"] if s["isLead"] == 1]
        return {name: config.get(name) for name in CONFIG_FIELDS}

    def followers(self, account: dict, query: dict) -> dict:
        page, size = page_params(query)
        self._require_leader(account)
        return paginate(account["followers"], page, size, lambda f: {k: f[k] for k in FOLLOWER_FIELDS})

    # -- writes

    def remove_follower(self, account: dict, follower_id: str) -> None:
        if not re.fullmatch(r"\d{1,19}", follower_id) or int(follower_id) < 1:
            raise invalid("followerUserId")
        self._require_leader(account, -120047)
        user_id = int(follower_id)
        followers = account["followers"]
        match = next((f for f in followers if int(f["user_id"]) == user_id), None)
        if match is None:
            raise ApiError(-32045)
        if match.get("has_position"):
            raise ApiError(-120055)
        followers.remove(match)
        self.store.save(changed=account["name"])

    def put_config(self, account: dict, body: Any) -> None:
        new = parse_config_body(body)
        self._require_leader(account)
        available = {s["symbolId"] for s in account["symbols"]}
        if any(s not in available for s in new["symbolIds"]):
            raise invalid("symbolIds")
        current = account["config"]
        for rule in PUT_CONFIG_RULES:
            rule(self, account, current, new)
        self._apply(account, current, new)
        self.store.save(changed=account["name"])

    def _apply(self, account: dict, current: dict, new: dict) -> None:
        if new["unLeadType"] == 1:
            current["unLeadStartTime"] = str(new.get("unLeadStartTime", 0))
            current["unLeadEndTime"] = str(new["unLeadEndTime"])
        else:
            current["unLeadStartTime"] = current["unLeadEndTime"] = "0"
        for name in ("unLeadType", "leadPositionType", "tradeProtect", "profitPeriod",
                     "isNeedInvite", "inviteScope", "recommendShare"):
            if name in new:
                current[name] = new[name]
        for name in DECIMAL_FIELDS:
            if name in new:
                current[name] = canonical(new[name])
        if "inviteCode" in new:
            current["inviteCode"] = new["inviteCode"]
        enabled = set(new["symbolIds"])
        for symbol in account["symbols"]:
            symbol["isLead"] = int(symbol["symbolId"] in enabled)

    # -- PUT config business rules, checked in this order (see PUT_CONFIG_RULES)

    def _rule_level_exists(self, account, current, new) -> None:
        if not isinstance(account.get("level"), dict):
            raise ApiError(-120067)

    def _rule_cooldown(self, account, current, new) -> None:
        if new["unLeadType"] != 1:
            return
        start, end = new.get("unLeadStartTime", 0), new.get("unLeadEndTime", 0)
        if end == 0 or end < start:
            raise ApiError(-120078)

    def _rule_level_limits(self, account, current, new) -> None:
        level = account["level"]
        for name in LEVEL_FIELDS:
            low, high = (level.get("limits", {}).get(name) or [None, None])[:2]
            if name == "profitRate" and new["isNeedInvite"] == 1 and level.get("private_profit_rate_max"):
                high = level["private_profit_rate_max"]
            value = new[name]
            if (low is not None and value < Decimal(low)) or (high is not None and value > Decimal(high)):
                raise ApiError(-120072)

    def _rule_referral(self, account, current, new) -> None:
        switch = new.get("recommendShare", current.get("recommendShare", 0))
        rate = new.get("recommendShareRate", Decimal(str(current.get("recommendShareRate") or "0")))
        if switch == 1 and not Decimal(0) < rate <= Decimal(1):
            raise ApiError(-120072)

    def _rule_invite_switch(self, account, current, new) -> None:
        if current.get("isNeedInvite") == 1 and new["isNeedInvite"] == 0 and account.get("custom_profit_ratio"):
            raise ApiError(-120073)

    def _rule_symbols_in_use(self, account, current, new) -> None:
        in_use = {o["symbolId"] for o in account["orders_current"]}
        enabled = {s["symbolId"] for s in account["symbols"] if s["isLead"] == 1}
        if (enabled & in_use) - set(new["symbolIds"]):
            raise ApiError(-32090)

    def _rule_position_type(self, account, current, new) -> None:
        wanted = new["leadPositionType"]
        if wanted == current.get("leadPositionType") or wanted == -1:
            return
        if any(int(o["positionType"]) != wanted for o in account["orders_current"]):
            raise ApiError(-32093)

    def _rule_invite_code(self, account, current, new) -> None:
        code = new.get("inviteCode")
        if code is None:
            return
        if not 6 <= len(code) <= 10 or CHINESE.search(code):
            raise ApiError(-120512)
        if any(word in code.lower() for word in SENSITIVE_WORDS):
            raise ApiError(-120511)
        for other in self.store.accounts.values():
            if other is not account and str(other["config"].get("inviteCode", "")).lower() == code.lower():
                raise ApiError(-120510)


PUT_CONFIG_RULES = (
    Exchange._rule_level_exists,
    Exchange._rule_cooldown,
    Exchange._rule_level_limits,
    Exchange._rule_referral,
    Exchange._rule_invite_switch,
    Exchange._rule_symbols_in_use,
    Exchange._rule_position_type,
    Exchange._rule_invite_code,
)
