"""The read endpoints: seeded data, pagination and parameter checks."""
import pytest

from reconciler.sandbox.seed import ALWAYS_AVAILABLE, seed_account


def test_seed_is_deterministic_and_realistic():
    a, b = seed_account("desk-btc"), seed_account("desk-btc")
    assert a == b and a != seed_account("desk-eth")
    symbols = [s["symbolId"] for s in a["symbols"]]
    assert set(ALWAYS_AVAILABLE) <= set(symbols)
    assert {"BTC-SWAP-USDT", "ETH-SWAP-USDT"} <= {s["symbolId"] for s in a["symbols"] if s["isLead"]}
    assert "BTC-SWAP-USDT" in {o["symbolId"] for o in a["orders_current"]}
    assert all(o["positionType"] == 0 for o in a["orders_current"])
    assert 23 <= len(a["followers"]) <= 37 and any(f["has_position"] for f in a["followers"])
    assert 21 <= len(a["orders_history"]) <= 40 and len(a["profit_sharings"]) == 12
    assert a["api_key"] != a["readonly_api_key"] and a["api_secret"] != a["api_key"]


def test_ensure_account_returns_the_existing_account(sandbox):
    first = sandbox.ensure_account("alpha")
    sandbox.account_state("alpha")["config"]["profitRate"] = "0.2"
    assert sandbox.ensure_account("alpha", leader=False) == first
    assert sandbox.account_state("alpha")["config"]["profitRate"] == "0.2"


def test_current_orders_have_the_documented_fields(raw_api):
    data = raw_api().get("/orders/current")["data"]
    assert data and set(data[0]) == {
        "symbolId", "symbolName", "isLong", "positionType", "leverage", "openTime", "quantity", "newPrice",
        "openPrice", "totalFollowerCount", "totalFollowerMargin", "profitRate", "markPrice"}


@pytest.mark.parametrize("path", ["/followers", "/orders/history"])
def test_pagination_counts_pages_and_total_as_strings(sandbox, raw_api, path):
    api = raw_api("alpha")
    key = "followers" if path == "/followers" else "orders_history"
    total = len(sandbox.account_state("alpha")[key])
    first = api.get(path)["data"]
    assert first["total"] == str(total) and first["pages"] == str(-(-total // 10)) and len(first["list"]) == 10
    seen = []
    for page in range(1, int(first["pages"]) + 1):
        seen += api.get(path, {"page": page, "size": 10})["data"]["list"]
    assert len(seen) == total
    assert api.get(path, {"page": 99})["data"] == {"pages": first["pages"], "total": str(total), "list": []}
    big = api.get(path, {"size": 100})["data"]
    assert big["pages"] == "1" and len(big["list"]) == total


@pytest.mark.parametrize("params", [{"page": 0}, {"size": 0}, {"size": 101}, {"page": "x"}, {"size": "1.5"}])
def test_bad_page_or_size(raw_api, params):
    assert raw_api().get("/followers", params)["code"] == -1130
    assert raw_api().get("/orders/history", params)["code"] == -1130


def test_followers_never_show_user_ids(raw_api):
    item = raw_api().get("/followers")["data"]["list"][0]
    assert set(item) == {"followerNickname", "followAmountLimit", "totalFollowMargin", "totalProfit",
                         "followRunningMills"}
    assert item["followerNickname"].startswith("****")


@pytest.mark.parametrize("period", [None, 7, 30, 90, 180, 365])
def test_trade_data_for_every_period(raw_api, period):
    body = raw_api().get("/trade-data", {} if period is None else {"type": period})
    assert body["code"] == 200 and len(body["data"]) == 1
    item = body["data"][0]
    assert isinstance(item["orderCount"], int) and isinstance(item["tradingDays"], int)
    assert isinstance(item["profitRate"], str) and item["tradingDays"] <= (period or 7)


@pytest.mark.parametrize("period", [1, 14, "week"])
def test_trade_data_rejects_other_periods(raw_api, period):
    body = raw_api().get("/trade-data", {"type": period})
    assert body == {"code": -1130, "msg": "Data sent for paramter 'type' is not valid.", "data": None}


def test_profit_sharing_history(raw_api):
    data = raw_api().get("/profit-sharings/history")["data"]
    assert len(data) == 12
    assert set(data[0]) == {"totalProfitSharing", "weekOfYear", "year", "sharingDate", "recommendUserShare",
                            "realProfitShare"}
    assert isinstance(data[0]["weekOfYear"], int)
