"""PUT .../leader/config: every documented rule answers its own code, and a
rejected write changes nothing."""
import copy

import pytest

MANDATORY = ["unLeadType", "leadPositionType", "tradeProtect", "profitPeriod", "profitRate",
             "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin", "isNeedInvite",
             "inviteScope", "symbolIds"]

# (changes to the valid base body, expected code); None as a value removes the field
REJECTED = [
    # shape: missing or wrong JSON type -> -1102
    *[({field: None}, -1102) for field in MANDATORY],
    ({"profitRate": True}, -1102),
    ({"profitRate": ["0.1"]}, -1102),
    ({"profitRate": "ten percent"}, -1102),
    ({"unLeadType": "yes"}, -1102),
    ({"leadPositionType": 0.5}, -1102),
    ({"symbolIds": "BTC-SWAP-USDT"}, -1102),
    ({"isNeedInvite": 1, "inviteCode": 123456}, -1102),
    # range, precision, format -> -1130
    ({"unLeadType": 2}, -1130),
    ({"leadPositionType": 2}, -1130),
    ({"leadPositionType": -2}, -1130),
    ({"profitPeriod": 30}, -1130),
    ({"tradeProtect": 2}, -1130),
    ({"isNeedInvite": -1}, -1130),
    ({"recommendShare": 3}, -1130),
    ({"profitRate": "-0.1"}, -1130),
    ({"profitRate": "0.123456789"}, -1130),
    ({"followAssetLowerLimit": "50.000000001"}, -1130),
    ({"recommendShareRate": "0.000000001"}, -1130),
    ({"unLeadStartTime": -1}, -1130),
    ({"symbolIds": ["BTC-SWAP-USDT", 7]}, -1130),
    ({"symbolIds": ["BTC-SWAP-USDT", "NOPE-SWAP-USDT"]}, -1130),
    # cool-down window -> -120078
    ({"unLeadType": 1}, -120078),
    ({"unLeadType": 1, "unLeadStartTime": 1717200000000, "unLeadEndTime": 0}, -120078),
    ({"unLeadType": 1, "unLeadStartTime": 1717286400000, "unLeadEndTime": 1717200000000}, -120078),
    # level limits and referral sharing -> -120072
    ({"profitRate": "0.31"}, -120072),
    ({"isNeedInvite": 1, "profitRate": "0.51"}, -120072),
    ({"followAssetLowerLimit": "0.5"}, -120072),
    ({"followAssetLowerLimit": "1000001"}, -120072),
    ({"fixedAmountFollowMin": "0"}, -120072),
    ({"fixedRateFollowMin": "0.99"}, -120072),
    ({"recommendShare": 1, "recommendShareRate": "0"}, -120072),
    ({"recommendShare": 1, "recommendShareRate": "1.01"}, -120072),
    ({"recommendShare": 1}, -120072),  # stored rate is "0"
    # trading pairs and position type against current lead orders (BTC, cross)
    ({"symbolIds": ["ETH-SWAP-USDT"]}, -32090),
    ({"leadPositionType": 1}, -32093),
    # invite code, only looked at when isNeedInvite=1
    ({"isNeedInvite": 1, "inviteCode": "abc12"}, -120512),
    ({"isNeedInvite": 1, "inviteCode": "abcdefghijk"}, -120512),
    ({"isNeedInvite": 1, "inviteCode": "邀请码abc123"}, -120512),
    ({"isNeedInvite": 1, "inviteCode": ""}, -120512),
    ({"isNeedInvite": 1, "inviteCode": "myAdmin1"}, -120511),
    ({"isNeedInvite": 1, "inviteCode": "TOOBIT88"}, -120511),
]

MESSAGES = {
    -120072: "Copy trading leader config is invalid.",
    -120073: "Unable to switch invite setting.",
    -120078: "unLeadStartTime or unLeadEndTime is invalid.",
    -32090: "Trading pair change is not allowed.",
    -32093: "Copy trading position type cannot be changed.",
    -120510: "Invite code already exists.",
    -120511: "Invite code contains sensitive content.",
    -120512: "Invite code is invalid.",
}


def _with(base, changes):
    body = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _snapshot(sandbox, name="alpha"):
    state = sandbox.account_state(name)
    return copy.deepcopy({k: state[k] for k in ("config", "symbols", "followers")})


@pytest.mark.parametrize("changes, code", REJECTED, ids=[f"{c}:{sorted(ch)}" for ch, c in REJECTED])
def test_rejected_config_changes_nothing(sandbox, raw_api, base_config, changes, code):
    api = raw_api("alpha")
    before = _snapshot(sandbox)
    body = api.put_config(_with(base_config, changes))
    assert body["code"] == code, body
    assert body["data"] is None
    if code in MESSAGES:
        assert body["msg"] == MESSAGES[code]
    if code == -1130:
        assert body["msg"].startswith("Data sent for paramter '")
    assert _snapshot(sandbox) == before


def test_unchanged_config_is_accepted(raw_api, base_config):
    assert raw_api("alpha").put_config(base_config) == {"code": 200, "msg": "success", "data": None}


def test_get_config_has_exactly_the_documented_fields_and_types(raw_api):
    data = raw_api("alpha").get("/config")["data"]
    types = {"unLeadType": int, "unLeadStartTime": str, "unLeadEndTime": str, "leadPositionType": int,
             "tradeProtect": int, "profitPeriod": int, "profitRate": str, "followAssetLowerLimit": str,
             "fixedAmountFollowMin": str, "fixedRateFollowMin": str, "isNeedInvite": int, "inviteScope": int,
             "symbolIds": list, "recommendShare": int, "recommendShareRate": str, "inviteCode": str}
    assert list(data) == list(types)
    assert {k: type(v) for k, v in data.items()} == types
    assert all(isinstance(s, str) for s in data["symbolIds"])


def test_full_update_is_stored_and_read_back(raw_api, base_config):
    api = raw_api("alpha")
    body = _with(base_config, {
        "unLeadType": 1, "unLeadStartTime": 1717200000000, "unLeadEndTime": "1717286400000",
        "tradeProtect": 0, "profitPeriod": 1, "profitRate": 0.1, "followAssetLowerLimit": "100.50",
        "fixedAmountFollowMin": 10, "fixedRateFollowMin": "10", "isNeedInvite": 1, "inviteScope": 2,
        "symbolIds": ["BTC-SWAP-USDT", "SOL-SWAP-USDT"], "recommendShare": 1, "recommendShareRate": "0.2",
        "inviteCode": "LEADER2026",
    })
    assert api.put_config(body)["code"] == 200
    data = api.get("/config")["data"]
    assert data == {
        "unLeadType": 1, "unLeadStartTime": "1717200000000", "unLeadEndTime": "1717286400000",
        "leadPositionType": 0, "tradeProtect": 0, "profitPeriod": 1, "profitRate": "0.1",
        "followAssetLowerLimit": "100.5", "fixedAmountFollowMin": "10", "fixedRateFollowMin": "10",
        "isNeedInvite": 1, "inviteScope": 2, "symbolIds": ["BTC-SWAP-USDT", "SOL-SWAP-USDT"],
        "recommendShare": 1, "recommendShareRate": "0.2", "inviteCode": "LEADER2026",
    }
    lead = {s["symbolId"]: s["isLead"] for s in api.get("/symbols")["data"]}
    assert {s for s, on in lead.items() if on} == {"BTC-SWAP-USDT", "SOL-SWAP-USDT"}
    assert set(lead.values()) == {0, 1}


def test_cooldown_off_resets_both_timestamps(raw_api, base_config):
    api = raw_api("alpha")
    on = {"unLeadType": 1, "unLeadStartTime": 1717200000000, "unLeadEndTime": 1717286400000}
    assert api.put_config(_with(base_config, on))["code"] == 200
    off = dict(on, unLeadType=0)
    assert api.put_config(_with(base_config, off))["code"] == 200
    data = api.get("/config")["data"]
    assert (data["unLeadType"], data["unLeadStartTime"], data["unLeadEndTime"]) == (0, "0", "0")


def test_omitted_referral_switch_is_kept_and_rate_updated_only_if_given(raw_api, base_config):
    api = raw_api("alpha")
    assert api.put_config(_with(base_config, {"recommendShare": 1, "recommendShareRate": "0.2"}))["code"] == 200
    assert api.put_config(_with(base_config, {"recommendShare": None, "recommendShareRate": None}))["code"] == 200
    data = api.get("/config")["data"]
    assert (data["recommendShare"], data["recommendShareRate"]) == (1, "0.2")
    assert api.put_config(_with(base_config, {"recommendShare": None, "recommendShareRate": "0.3"}))["code"] == 200
    data = api.get("/config")["data"]
    assert (data["recommendShare"], data["recommendShareRate"]) == (1, "0.3")


def test_private_leader_may_charge_up_to_the_private_maximum(raw_api, base_config):
    api = raw_api("alpha")
    assert api.put_config(_with(base_config, {"isNeedInvite": 1, "profitRate": "0.5"}))["code"] == 200


def test_invite_code_is_ignored_when_public(raw_api, base_config):
    api = raw_api("alpha")
    assert api.put_config(_with(base_config, {"isNeedInvite": 0, "inviteCode": "x"}))["code"] == 200
    assert api.get("/config")["data"]["inviteCode"] == ""


def test_invite_code_taken_by_another_account(raw_api, base_config):
    raw_api("beta")
    beta = raw_api("beta")
    beta_body = _with(base_config, {"isNeedInvite": 1, "inviteCode": "LEADER2026",
                                    "symbolIds": ["BTC-SWAP-USDT"]})
    assert beta.put_config(beta_body)["code"] == 200
    alpha = raw_api("alpha")
    body = alpha.put_config(_with(base_config, {"isNeedInvite": 1, "inviteCode": "leader2026"}))
    assert body["code"] == -120510
    assert beta.put_config(beta_body)["code"] == 200  # its own code is not a clash


def test_private_leader_with_custom_ratio_cannot_go_public(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    assert api.put_config(_with(base_config, {"isNeedInvite": 1}))["code"] == 200
    sandbox.account_state("alpha")["custom_profit_ratio"] = True
    sandbox.save()
    assert api.put_config(_with(base_config, {"isNeedInvite": 0})) == {
        "code": -120073, "msg": "Unable to switch invite setting.", "data": None}
    assert api.put_config(_with(base_config, {"isNeedInvite": 1}))["code"] == 200


def test_position_type_all_allows_current_orders_and_free_pairs_can_go(sandbox, raw_api, base_config):
    api = raw_api("alpha")
    assert api.put_config(_with(base_config, {"leadPositionType": -1}))["code"] == 200
    sandbox.account_state("alpha")["orders_current"] = []
    assert api.put_config(_with(base_config, {"leadPositionType": 1, "symbolIds": []}))["code"] == 200
    assert api.get("/config")["data"]["symbolIds"] == []


def test_missing_level_config(sandbox, raw_api, base_config):
    sandbox.account_state("alpha")["level"] = None
    assert raw_api("alpha").put_config(base_config)["code"] == -120067


def test_malformed_json_body(raw_api):
    api = raw_api("alpha")
    for content in (b"{not json", b"", b"[1, 2]"):
        response = api.request("PUT", "/api/v2/copy-trading/leader/config", content=content)
        assert response.json()["code"] == -1102, content
