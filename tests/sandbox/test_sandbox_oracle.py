"""The sandbox as an independent oracle of PUT config: both sides of every documented
boundary (precision, ranges, rates, invite code, cool-down, pairs, position type, level
limits), each over real HTTP, each rejected write changing nothing.

Account "alpha" (seed): BTC and ETH enabled, SOL/XRP/DOGE/LTC/AVAX/LINK available, one
current cross (0) order on BTC; level Bronze: profitRate [0, 0.3] (0.5 when private),
followAssetLowerLimit [1, 1000000], fixedAmountFollowMin >= 1, fixedRateFollowMin >= 1.
"""
import ast
import copy
import json
from pathlib import Path

import pytest
from test_sandbox_config_rules import _with

import reconciler.sandbox
from reconciler.sandbox.rules import CHINESE, CONFIG_FIELDS, DECIMAL_FIELDS, RULES

CONFIG = "/api/v2/copy-trading/leader/config"
RAW = "__raw_json__"
# a value of each decimal field that the level accepts, to which decimals are appended
BASES = {"profitRate": "0.1", "followAssetLowerLimit": "50", "fixedAmountFollowMin": "5",
         "fixedRateFollowMin": "5", "recommendShareRate": "0.2"}
REFERRAL_ON = {"recommendShare": 1, "recommendShareRate": "0.2"}


def _put(api, base, changes, raw=None):
    """PUT base+changes; `raw` (JSON text) is spliced in where a value is RAW."""
    body = _with(base, changes)
    content = json.dumps(body).replace(json.dumps(RAW), raw) if raw is not None else json.dumps(body)
    return api.request("PUT", CONFIG, content=content.encode()).json()


def _state(sandbox):
    state = sandbox.account_state("alpha")
    return copy.deepcopy({k: state[k] for k in ("config", "symbols")})


def _check(sandbox, api, base, changes, code, raw=None):
    before = _state(sandbox)
    answer = _put(api, base, changes, raw)
    assert answer["code"] == code, answer
    if code != 200:
        assert _state(sandbox) == before
    return api.get("/config")["data"]


# ------------------------------------------------------------------ decimals


DECIMAL_CASES = [  # (suffix appended to the base's digits or a whole value, JSON text or None, code)
    ("8 places", lambda b: b + ("2345678" if "." in b else ".12345678"), None, 200),
    ("9 places", lambda b: b + ("23456789" if "." in b else ".123456789"), None, -1130),
    ("trailing zeros up to 8 places", lambda b: b + ("0000000" if "." in b else ".00000000"), None, 200),
    ("trailing zeros beyond 8 places", lambda b: b + ("00000000" if "." in b else ".000000000"), None, -1130),
    ("number, 8 places", lambda b: RAW, lambda b: b + ("2345678" if "." in b else ".12345678"), 200),
    ("number, 9 places by trailing zero", lambda b: RAW, lambda b: b + ("00000000" if "." in b else ".000000000"), -1130),
    ("number with exponent", lambda b: RAW, lambda b: b + "E0", 200),
    ("negative", lambda b: "-" + b, None, -1130),
    ("exponent in a string", lambda b: b + "e0", None, -1102),
    ("leading space", lambda b: " " + b, None, -1102),
    ("underscore", lambda b: b.replace(".", "_") if "." in b else b[0] + "_" + b[1:] if len(b) > 1 else b + "_0", None, -1102),
    ("no digit after the point", lambda b: b.split(".")[0] + ".", None, -1102),
    ("no digit before the point", lambda b: "." + b.split(".")[-1], None, -1102),
    ("NaN string", lambda b: "NaN", None, -1102),
    ("NaN literal", lambda b: RAW, lambda b: "NaN", -1102),
    ("Infinity literal", lambda b: RAW, lambda b: "Infinity", -1102),
    ("boolean", lambda b: True, None, -1102),
]


@pytest.mark.parametrize("field", DECIMAL_FIELDS)
@pytest.mark.parametrize("case, value, raw, code", DECIMAL_CASES, ids=[c[0] for c in DECIMAL_CASES])
def test_every_decimal_field_has_the_same_precision_and_format(sandbox, raw_api, base_config, field, case, value,
                                                                raw, code):
    base = BASES[field]
    changes = {field: value(base)}
    if field == "recommendShareRate":
        changes["recommendShare"] = 1
    _check(sandbox, raw_api("alpha"), base_config, changes, code, raw(base) if raw else None)


@pytest.mark.parametrize("field", DECIMAL_FIELDS)
def test_decimals_are_stored_by_value_in_the_exchange_spelling(raw_api, base_config, field):
    api = raw_api("alpha")
    written = BASES[field] + ("0000000" if "." in BASES[field] else ".00000000")
    changes = {field: written, **({"recommendShare": 1} if field == "recommendShareRate" else {})}
    assert _put(api, base_config, changes)["code"] == 200
    assert api.get("/config")["data"][field] == BASES[field]


@pytest.mark.parametrize("value, code, stored", [
    ("-0", 200, "0"), ("-0.00000000", 200, "0"), ("0", 200, "0"), ("0.00000001", 200, "0.00000001"),
    ("0.3", 200, "0.3"), ("0.30000001", -120072, None),
])
def test_profit_rate_bounds(sandbox, raw_api, base_config, value, code, stored):
    data = _check(sandbox, raw_api("alpha"), base_config, {"profitRate": value}, code)
    if stored is not None:
        assert data["profitRate"] == stored


def test_decimals_have_a_finite_range(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    _check(sandbox, api, base_config, {"fixedAmountFollowMin": "999999999999999999.99999999"}, 200)
    _check(sandbox, api, base_config, {"fixedAmountFollowMin": "1000000000000000000"}, -1130)
    _check(sandbox, api, base_config, {"fixedRateFollowMin": RAW}, -1130, raw="1E+999999999")


# --------------------------------------------------------- level limits, inclusive


@pytest.mark.parametrize("changes, code", [
    ({"isNeedInvite": 1, "profitRate": "0.5"}, 200),
    ({"isNeedInvite": 1, "profitRate": "0.50000001"}, -120072),
    ({"isNeedInvite": 0, "profitRate": "0.31"}, -120072),
    ({"followAssetLowerLimit": "1"}, 200),
    ({"followAssetLowerLimit": "0.99999999"}, -120072),
    ({"followAssetLowerLimit": "1000000"}, 200),
    ({"followAssetLowerLimit": "1000000.00000001"}, -120072),
    ({"fixedAmountFollowMin": "1"}, 200),
    ({"fixedAmountFollowMin": "0.99999999"}, -120072),
    ({"fixedRateFollowMin": "1"}, 200),
    ({"fixedRateFollowMin": "0.99999999"}, -120072),
])
def test_level_limits_are_inclusive(sandbox, raw_api, base_config, changes, code):
    _check(sandbox, raw_api("alpha"), base_config, changes, code)


# ------------------------------------------------------------- referral sharing


@pytest.mark.parametrize("changes, code", [
    ({**REFERRAL_ON, "recommendShareRate": "0"}, -120072),
    ({**REFERRAL_ON, "recommendShareRate": "0.00000001"}, 200),
    ({**REFERRAL_ON, "recommendShareRate": "1"}, 200),
    ({**REFERRAL_ON, "recommendShareRate": "1.00000000"}, 200),
    ({**REFERRAL_ON, "recommendShareRate": "1.00000001"}, -120072),
    ({**REFERRAL_ON, "recommendShareRate": "1.000000000"}, -1130),  # precision is checked first
    ({**REFERRAL_ON, "recommendShareRate": None}, -120072),  # the stored rate is "0"
    ({"recommendShare": 0, "recommendShareRate": "5"}, 200),  # the rule holds only when sharing is on
    ({"recommendShare": None, "recommendShareRate": "0"}, 200),  # omitted switch: stays off
])
def test_referral_rate_when_sharing_is_on(sandbox, raw_api, base_config, changes, code):
    _check(sandbox, raw_api("alpha"), base_config, changes, code)


def test_referral_rule_uses_the_kept_switch_when_omitted(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    _check(sandbox, api, base_config, REFERRAL_ON, 200)
    _check(sandbox, api, base_config, {"recommendShare": None, "recommendShareRate": "0"}, -120072)
    _check(sandbox, api, base_config, {"recommendShare": None, "recommendShareRate": "1"}, 200)


# -------------------------------------------------------------------- integers


@pytest.mark.parametrize("changes, code", [
    ({"inviteScope": 2147483647}, 200),
    ({"inviteScope": 2147483648}, -1102),
    ({"inviteScope": "7"}, 200),
    ({"inviteScope": -1}, -1130),
    ({"profitPeriod": "1"}, 200),
    ({"profitPeriod": 1.0}, -1102),
    ({"profitPeriod": "1.0"}, -1102),
    ({"leadPositionType": "-1"}, 200),
    ({"leadPositionType": " 0"}, -1102),
    ({"unLeadType": 1, "unLeadStartTime": 0, "unLeadEndTime": 9223372036854775807}, 200),
    ({"unLeadType": 1, "unLeadStartTime": 0, "unLeadEndTime": 9223372036854775808}, -1102),
    ({"unLeadType": 1, "unLeadStartTime": "1717200000000", "unLeadEndTime": "1717200000000"}, 200),
    ({"unLeadType": 1, "unLeadStartTime": -1, "unLeadEndTime": 1}, -1130),
])
def test_integer_types_and_ranges(sandbox, raw_api, base_config, changes, code):
    _check(sandbox, raw_api("alpha"), base_config, changes, code)


# --------------------------------------------------------------------- cool-down


@pytest.mark.parametrize("changes, code, stored", [
    ({"unLeadType": 1, "unLeadStartTime": None, "unLeadEndTime": 1}, 200, ("0", "1")),
    ({"unLeadType": 1, "unLeadStartTime": 1717200000000, "unLeadEndTime": 1717200000000}, 200,
     ("1717200000000", "1717200000000")),
    ({"unLeadType": 1, "unLeadStartTime": 1717200000000, "unLeadEndTime": 1717199999999}, -120078, None),
    ({"unLeadType": 1, "unLeadStartTime": None, "unLeadEndTime": 0}, -120078, None),
    ({"unLeadType": 1, "unLeadStartTime": 5, "unLeadEndTime": None}, -120078, None),
    ({"unLeadType": 0, "unLeadStartTime": 1717200000000, "unLeadEndTime": 5}, 200, ("0", "0")),
    ({"unLeadType": 0, "unLeadStartTime": "soon", "unLeadEndTime": 5}, -1102, None),  # shape is checked anyway
])
def test_cooldown_window(sandbox, raw_api, base_config, changes, code, stored):
    data = _check(sandbox, raw_api("alpha"), base_config, changes, code)
    if stored is not None:
        assert (data["unLeadStartTime"], data["unLeadEndTime"]) == stored


# ------------------------------------------------------------------- invite code


INSIDE = ["\u3000", "\u303f", "\u3400", "\u4dbf", "\u4e00", "\u9fff", "\uf900", "\ufaff", "\uff01", "\uffef",
          "\U00020000", "\U0002a6df", "\U0002ebef", "\U00030000", "\U0003134f"]
OUTSIDE = ["\u2fff", "\u3041", "\u33ff", "\u4dc0", "\ua000", "\ufb00", "\ufff0", "\U0001f600", "\U0002ebf0",
           "\U0002f800", "\U00031350", "é"]


@pytest.mark.parametrize("char", INSIDE, ids=[f"U+{ord(c):04X}" for c in INSIDE])
def test_chinese_characters_are_refused_in_invite_codes(sandbox, raw_api, base_config, char):
    assert CHINESE.search(char)
    _check(sandbox, raw_api("alpha"), base_config, {"isNeedInvite": 1, "inviteCode": "abcde" + char}, -120512)


@pytest.mark.parametrize("char", OUTSIDE, ids=[f"U+{ord(c):04X}" for c in OUTSIDE])
def test_neighbouring_characters_are_not_chinese(sandbox, raw_api, base_config, char):
    data = _check(sandbox, raw_api("alpha"), base_config, {"isNeedInvite": 1, "inviteCode": "abcde" + char}, 200)
    assert data["inviteCode"] == "abcde" + char


@pytest.mark.parametrize("code, expected", [
    ("abcdef", 200), ("abcdefghij", 200), ("abcde", -120512), ("abcdefghijk", -120512),
    ("\U0001f600" * 6, 200), ("\U0001f600" * 5, -120512),  # code points, not UTF-16 units
    ("      ", 200), ("LEADER2026", 200), ("Official1", -120511),
])
def test_invite_code_length_in_characters(sandbox, raw_api, base_config, code, expected):
    _check(sandbox, raw_api("alpha"), base_config, {"isNeedInvite": 1, "inviteCode": code}, expected)


def test_invite_code_is_not_looked_at_when_public(sandbox, raw_api, base_config):
    _check(sandbox, raw_api("alpha"), base_config, {"isNeedInvite": 0, "inviteCode": 12}, 200)


# ------------------------------------------------------ pairs and position type


@pytest.mark.parametrize("setup, changes, code", [
    (None, {"symbolIds": ["BTC-SWAP-USDT"]}, 200),  # ETH has no order: may go
    (None, {"symbolIds": ["BTC-SWAP-USDT", "ETH-SWAP-USDT", "LINK-SWAP-USDT"]}, 200),
    (None, {"symbolIds": ["BTC-SWAP-USDT", "BTC-SWAP-USDT"]}, 200),
    (None, {"symbolIds": ["ETH-SWAP-USDT"]}, -32090),
    (None, {"symbolIds": ["BTC-SWAP-USDT", "BNB-SWAP-USDT"]}, -1130),  # not available to alpha
    (None, {"symbolIds": ["BTC-SWAP-USDT", ""]}, -1130),
    ({"symbol": "SOL-SWAP-USDT"}, {"symbolIds": ["BTC-SWAP-USDT"]}, 200),  # SOL has an order but is not enabled
    (None, {"leadPositionType": -1}, 200),
    (None, {"leadPositionType": 1}, -32093),
    ({"type": -1}, {"leadPositionType": 1}, -32093),
    ({"type": -1}, {"leadPositionType": 0}, 200),
    ({"orders": []}, {"leadPositionType": 1}, 200),
    ({"mixed": True, "type": 1}, {"leadPositionType": 1}, 200),  # unchanged: no switch
])
def test_pairs_and_position_type_against_current_orders(sandbox, raw_api, base_config, setup, changes, code):
    state = sandbox.account_state("alpha")
    setup = setup or {}
    if "symbol" in setup:
        state["orders_current"].append(dict(state["orders_current"][0], symbolId=setup["symbol"]))
    if "orders" in setup:
        state["orders_current"] = setup["orders"]
    if "mixed" in setup:
        state["orders_current"].append(dict(state["orders_current"][0], positionType=1))
    if "type" in setup:
        state["config"]["leadPositionType"] = setup["type"]
    sandbox.save()
    base = dict(base_config, leadPositionType=state["config"]["leadPositionType"])
    _check(sandbox, raw_api("alpha"), base, changes, code)


# ------------------------------------------------------------ one place, own code


def test_rules_are_one_table_with_documented_codes():
    documented = {-1130, -120067, -120072, -120073, -120078, -32090, -32093, -120510, -120511, -120512}
    assert {rule.code for rule in RULES} == documented
    assert [f.name for f in CONFIG_FIELDS] == [
        "unLeadType", "unLeadStartTime", "unLeadEndTime", "leadPositionType", "tradeProtect", "profitPeriod",
        "profitRate", "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin", "isNeedInvite",
        "inviteScope", "symbolIds", "recommendShare", "recommendShareRate", "inviteCode"]


def test_the_sandbox_imports_nothing_from_leaderctls_validator():
    """An oracle that shared the validator's code would agree with it by construction."""
    forbidden = {"reconciler.config", "reconciler.schema", "reconciler.fields", "reconciler.spec"}
    allowed_outside = {"reconciler.errors", "reconciler.atomic"}  # error base class, file writing: no rules
    for path in Path(reconciler.sandbox.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in forbidden), f"{path.name}: {name}"
                if name.startswith("reconciler.") and not name.startswith("reconciler.sandbox"):
                    assert name in allowed_outside, f"{path.name}: {name}"
