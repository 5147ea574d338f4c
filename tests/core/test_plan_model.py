"""The plan as an artifact: `Plan.to_dict`/`from_dict` round trips with typed values, the
format version is checked, the plan JSON is the contract's (golden), and the plan file's
schema is the model's own (enums, name pattern, keys)."""
from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest

from reconciler import planfile
from reconciler.errors import PlanFileError
from reconciler.model import FORMAT_VERSION, Action, Change, LeaderPlan, LeaderStatus, Plan, Problem
from reconciler.render import render_plan
from reconciler.spec import BY_ATTR, NAME_PATTERN

HEX = "ab" * 32


def change(attr, action, before, after):
    s = BY_ATTR[attr]
    return Change(s.path, s.api, Action(action), before, after, setting=s)


def a_plan() -> Plan:
    btc = LeaderPlan(
        "desk-btc", LeaderStatus.CHANGES,
        changes=[
            change("profit_rate", "update", Decimal("0.1"), Decimal("0.12")),
            change("cooldown_end", "update", 0, 1798934400000),
            change("trade_protection", "update", False, True),
            change("position_type", "update", "all", "cross"),
            change("invite_code", "update", "OLDCODE1", "NEWCODE2"),
            Change("symbols", "symbolIds", Action.ADD, None, "ETH-SWAP-USDT"),
            Change("symbols", "symbolIds", Action.REMOVE, "XRP-SWAP-USDT", None),
        ],
        follower_removals=(123456789,), ignored=("settings.invite.scope",),
        live_fingerprint=HEX, account=HEX, sealed=HEX)
    eth = LeaderPlan("desk-eth", LeaderStatus.ERROR, problems=[Problem("the signature was rejected: check", -1022)],
                     live_fingerprint=None, account=None)
    return Plan([btc, eth], config_fingerprint=HEX, paths=("leaders.yaml",), endpoint="https://api.toobit.com")


@pytest.mark.parametrize("saved", [False, True])
def test_to_dict_from_dict_round_trip_keeps_typed_values(saved):
    plan = a_plan()
    doc = json.loads(json.dumps(plan.to_dict(saved=saved)))
    back = Plan.from_dict(doc)
    assert back.to_dict(saved=saved) == plan.to_dict(saved=saved)
    got = {(c.path, c.action): c for c in back.leaders[0].changes}
    assert got[("settings.profit_sharing.rate", "update")].after == Decimal("0.12")
    assert got[("settings.cooldown.end", "update")].after == 1798934400000
    assert got[("settings.trade_protection", "update")].after is True
    assert got[("settings.invite.code", "update")].after == "(sensitive)"  # never written, never read back
    assert back.leaders[1].problems == [Problem("the signature was rejected: check", -1022)]
    if saved:
        assert (back.paths, back.endpoint, back.config_fingerprint) == (plan.paths, plan.endpoint, plan.config_fingerprint)
        assert (back.leaders[0].account, back.leaders[0].sealed, back.leaders[0].live_fingerprint) == (HEX, HEX, HEX)


@pytest.mark.parametrize("version", ["2", None, 1, "0"])
def test_another_format_version_is_refused(version):
    doc = a_plan().to_dict()
    doc["format_version"] = version
    with pytest.raises(PlanFileError, match=f"is not supported by this leaderctl \\(expects {FORMAT_VERSION}\\)"):
        Plan.from_dict(doc)


def test_a_value_its_setting_cannot_read_is_a_plan_file_error():
    doc = a_plan().to_dict()
    doc["leaders"][0]["changes"][0]["after"] = "twelve percent"
    with pytest.raises(PlanFileError, match="settings.profit_sharing.rate: 'twelve percent' is not a value"):
        Plan.from_dict(doc)


GOLDEN = """{
  "format_version": "1",
  "leaders": [
    {
      "name": "desk-btc",
      "status": "changes",
      "changes": [
        {
          "path": "settings.profit_sharing.rate",
          "field": "profitRate",
          "action": "update",
          "before": "0.1",
          "after": "0.12"
        },
        {
          "path": "symbols",
          "field": "symbolIds",
          "action": "add",
          "after": "ETH-SWAP-USDT"
        }
      ],
      "follower_removals": [
        123456789
      ],
      "problems": [],
      "ignored": []
    }
  ],
  "summary": {
    "leaders": 1,
    "changes": 1,
    "in_sync": 0,
    "blocked": 0,
    "error": 0
  }
}
"""


def test_the_plan_json_is_the_contracts_example():
    lp = LeaderPlan("desk-btc", LeaderStatus.CHANGES, follower_removals=(123456789,), changes=[
        change("profit_rate", "update", Decimal("0.10"), Decimal("0.120")),
        Change("symbols", "symbolIds", Action.ADD, None, "ETH-SWAP-USDT")])
    assert render_plan(Plan([lp]), "json") == GOLDEN
    assert Plan.from_dict(json.loads(GOLDEN)).to_dict() == json.loads(GOLDEN)


def test_the_plan_file_schema_is_the_models():
    leader = planfile.SCHEMA["properties"]["leaders"]["items"]
    assert leader["properties"]["status"]["enum"] == [s.value for s in LeaderStatus]
    assert leader["properties"]["changes"]["items"]["properties"]["action"]["enum"] == [a.value for a in Action]
    assert leader["properties"]["name"]["pattern"] == NAME_PATTERN
    assert leader["required"] == list(a_plan().leaders[0].to_dict(saved=True))
    assert set(leader["properties"]) == set(leader["required"])
    assert planfile.SCHEMA["required"] == ["kind", *a_plan().to_dict(saved=True)]


def test_a_saved_plan_validates_and_loads_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leaders.yaml").write_text("version: 1\n")
    plan = a_plan()
    planfile.save(plan, tmp_path / "plan.json")
    doc = json.loads((tmp_path / "plan.json").read_text())
    jsonschema.validate(doc, planfile.SCHEMA)
    assert doc["kind"] == planfile.KIND and list(doc)[0] == "kind"
    assert "OLDCODE1" not in json.dumps(doc) and "NEWCODE2" not in json.dumps(doc)
    loaded = planfile.load(tmp_path / "plan.json")
    assert isinstance(loaded, Plan) and loaded.to_dict(saved=True) == plan.to_dict(saved=True)
    doc["leaders"][0]["changes"][0]["after"] = "x"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(PlanFileError) as info:
        planfile.load(tmp_path / "bad.json")
    assert str(info.value).startswith(f"{tmp_path / 'bad.json'}: not a plan file as `plan --out` writes it (at settings.profit_sharing.rate")
    assert str(info.value).endswith("create one with `leaderctl plan --out FILE`")
