"""Fuzz: arbitrary JSON answers from the exchange for every endpoint a plan reads, over
real HTTP, through the client and the planner (`leaderctl plan`). Whatever comes
back: no traceback, no internal error; each leader is either an `error` that says
the answer is malformed (or names the exchange's error), or a plan whose "before"
values are exactly what the exchange said."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import pytest
from e2e_kit import config_text, leader_yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.sandbox import Fault

LEADER = "/api/v2/copy-trading/leader"
GOOD = {
    "unLeadType": 0, "unLeadStartTime": "0", "unLeadEndTime": "0", "leadPositionType": 0, "tradeProtect": 1,
    "profitPeriod": 7, "profitRate": "0.05", "followAssetLowerLimit": "50", "fixedAmountFollowMin": "5",
    "fixedRateFollowMin": "5", "isNeedInvite": 0, "inviteScope": 1, "symbolIds": ["BTC-SWAP-USDT", "ETH-SWAP-USDT"],
    "recommendShare": 0, "recommendShareRate": "0", "inviteCode": "",
}  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["0.1", "-1", "1e400", "NaN", "", "\x1b[31m", "BTC-SWAP-USDT", "7", "1"]),
)  # fmt: skip
JSONS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@st.composite
def config_answers(draw):
    """GET config's data: mostly the good answer with one field broken or dropped (so that
    a wrong reading of that one field would show in the plan); sometimes several; or anything."""
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(JSONS)
    data = dict(GOOD)
    fields = draw(st.lists(st.sampled_from(sorted(GOOD)), min_size=1, max_size=1 if shape > 3 else 5, unique=True))
    for field in fields:
        if draw(st.integers(0, 4)):
            data[field] = draw(SCALARS if shape > 3 else JSONS)
        else:
            data.pop(field)
    return data


list_answers = st.one_of(JSONS, st.lists(st.fixed_dictionaries({"symbolId": SCALARS, "isLead": SCALARS, "positionType": SCALARS}), max_size=3))


def body(data) -> bytes:
    """The wrapper around `data`; NaN/Infinity written as JavaScript would (invalid JSON)."""
    return json.dumps({"code": 200, "msg": "success", "data": data}, allow_nan=True).encode()


# the sandbox's and the client's threads use `random` (seeds, retry jitter) while hypothesis
# draws the next example: harmless here, and not the strategies' own use of it
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(config=config_answers(), symbols=list_answers, orders=list_answers)
@example(config={**GOOD, "profitRate": "abc"}, symbols=[], orders=[])
@example(config={**GOOD, "symbolIds": "BTC-SWAP-USDT"}, symbols=[], orders=[])
@example(config={**GOOD, "followAssetLowerLimit": float("nan")}, symbols=[], orders=[])
@example(config={}, symbols=[], orders=[])
def test_any_answer_is_a_located_error_or_a_correct_plan(exchange, config, symbols, orders):
    exchange.account("desk")
    path = exchange.write(config_text(leader_yaml("desk", symbols="BTC-SWAP-USDT, SOL-SWAP-USDT")))
    exchange.sb.clear_faults()
    for suffix, data in (("/config", config), ("/symbols", symbols), ("/orders/current", orders)):
        exchange.sb.inject(Fault(method="GET", path_prefix=LEADER + suffix, kind="body", body=body(data), times=None))
    r = exchange.run("plan", "--format", "json", path)
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    assert r.exit_code in (0, 1, 2), r.output
    (lp,) = json.loads(r.stdout)["leaders"]
    if lp["status"] == "error":
        (problem,) = lp["problems"]
        assert "malformed" in problem["message"] or "does not understand" in problem["message"] or problem["code"] is not None
        assert "\x1b" not in r.output
        return
    for change in lp["changes"]:  # the plan says what the exchange said
        if change["action"] == "update" and change["field"] in ("profitRate", "followAssetLowerLimit", "fixedAmountFollowMin", "fixedRateFollowMin"):
            try:
                said = Decimal(str(config[change["field"]]))
            except (InvalidOperation, KeyError, TypeError):
                raise AssertionError(f"a plan was made from an unreadable {change['field']}: {config!r}") from None
            assert Decimal(change["before"]) == said
        if change["action"] == "remove":
            assert change["before"] in config["symbolIds"]
