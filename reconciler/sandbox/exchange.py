"""The simulated exchange's leader endpoints, one method each, on the accounts of a Store.

`SimulatedExchange` knows nothing about HTTP: it takes parsed parameters and
returns `data`, or raises `ApiError` with the documented code and message. The
caller (server.Sandbox) holds the store's transaction around each call, so a
method sees the latest state of the file and its save is serialised with every
other process sharing it.

One account is a dict (layout in seed.py). `symbols[].isLead` is the only record
of which pairs are enabled; `config.symbolIds` is derived from it on every GET.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from reconciler.sandbox.codes import ApiError, invalid
from reconciler.sandbox.rules import FIELD_NAMES, PutContext, apply_config, check_rules, parse_config_body
from reconciler.sandbox.store import Store

FOLLOWER_FIELDS = ("followerNickname", "followAmountLimit", "totalFollowMargin", "totalProfit", "followRunningMills")
TRADE_PERIODS = frozenset({7, 30, 90, 180, 365})
MAX_PAGE_SIZE = 100
PROFIT_SHARING_RECORDS = 100  # "The endpoint keeps the latest 100 records"
_DIGITS = re.compile(r"-?[0-9]{1,19}")


def page_params(query: dict[str, str]) -> tuple[int, int]:
    values = {}
    for name, default in (("page", "1"), ("size", "10")):
        raw = query.get(name, default)
        if not _DIGITS.fullmatch(raw):
            raise invalid(name)
        values[name] = int(raw)
    page, size = values["page"], values["size"]
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


class SimulatedExchange:
    """The leader endpoints.

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
        if not _DIGITS.fullmatch(raw) or int(raw) not in TRADE_PERIODS:
            raise invalid("type")
        self._require_leader(account)
        data = dict(account["trade_data"][str(int(raw))])
        data["currentFollowerCount"] = str(len(account["followers"]))
        return [data]

    def profit_sharings(self, account: dict, query: dict) -> list:
        self._require_leader(account)
        return [dict(r) for r in account["profit_sharings"][:PROFIT_SHARING_RECORDS]]

    def symbols(self, account: dict, query: dict) -> list:
        self._require_leader(account)
        return [dict(s) for s in account["symbols"]]

    def get_config(self, account: dict, query: dict) -> dict:
        self._require_leader(account)
        config = dict(account["config"])
        config["symbolIds"] = [s["symbolId"] for s in account["symbols"] if s["isLead"] == 1]
        return {name: config.get(name) for name in FIELD_NAMES}

    def followers(self, account: dict, query: dict) -> dict:
        page, size = page_params(query)
        self._require_leader(account)
        return paginate(account["followers"], page, size, lambda f: {k: f[k] for k in FOLLOWER_FIELDS})

    # -- writes (each saves before it answers; a failed save raises SandboxSaveError)

    def remove_follower(self, account: dict, follower_id: str) -> None:
        if not re.fullmatch(r"[0-9]{1,19}", follower_id) or not 1 <= int(follower_id) < 2**63:
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
        others = lambda: (a for a in self.store.accounts.values() if a is not account)  # noqa: E731
        check_rules(PutContext(account, new, others))
        apply_config(account, new)
        self.store.save(changed=account["name"])
