"""Parity: `leaderctl validate` (the spec) and the sandbox (an independent oracle of the
documents) agree on both sides of every boundary a config can express.

For each case: validate decides on a config holding the value; the sandbox decides
on a PUT config body. When validate accepts, the sandbox gets exactly the body
leaderctl would send for that config and must accept it; when validate refuses,
the sandbox gets the value as the user wrote it and must refuse it too. The one
known difference is asserted as such (see KNOWN), so it cannot drift silently.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from reconciler.config import load_desired
from reconciler.errors import ConfigError
from reconciler.live import live_from_api
from reconciler.planner import put_body, target

CONFIG = """\
version: 1
leaders:
  alpha:
    settings:
      cooldown: {{enabled: true, start: {start}, end: {end}}}
      position_type: cross
      trade_protection: true
      profit_sharing: {{period: weekly, rate: {rate}}}
      follower_minimums: {{asset: "100", fixed_amount: {fixed_amount}, fixed_rate: "10"}}
      invite: {{required: true, scope: {scope}, code: {code}}}
      referral_sharing: {{enabled: true, rate: {referral}}}
    symbols: [BTC-SWAP-USDT]
"""
DEFAULTS = {
    "start": "1798070400000", "end": "1798243200000", "rate": '"0.1"', "fixed_amount": '"10"',
    "scope": "1", "code": '"ABCDEFG"', "referral": '"0.2"',
}  # fmt: skip
API = {"start": "unLeadStartTime", "end": "unLeadEndTime", "rate": "profitRate", "fixed_amount": "fixedAmountFollowMin",
       "scope": "inviteScope", "code": "inviteCode", "referral": "recommendShareRate"}  # fmt: skip


@dataclass(frozen=True)
class Case:
    key: str  # which placeholder of CONFIG
    written: str  # YAML source text
    raw: object  # the value as the user meant it, in the PUT body
    valid: bool


def q(text: str) -> str:
    return '"' + text + '"'


CASES = {
    # decimal places: at most 8 (counted by value: trailing zeros are not places)
    "rate 8 places": Case("rate", q("0.12345678"), "0.12345678", True),
    "rate 9 places": Case("rate", q("0.123456789"), "0.123456789", False),
    "rate 8 places as a number": Case("rate", "0.12345678", "0.12345678", True),
    "rate 9 places as a number": Case("rate", "0.123456789", "0.123456789", False),
    "rate trailing zeros beyond 8": Case("rate", q("0.123456780"), "0.123456780", True),
    "rate 0": Case("rate", q("0"), "0", True),
    "rate negative": Case("rate", q("-0.1"), "-0.1", False),
    "rate exponent": Case("rate", q("1e-1"), "1e-1", False),
    # a share: 0 <= rate <= 1 (validate's sanity bound; the sandbox refuses it by the level cap, -120072)
    "rate above 1": Case("rate", q("1.00000001"), "1.00000001", False),
    "rate 1.5 as a number": Case("rate", "1.5", "1.5", False),
    # amounts: below 10^18
    "amount 10^18 - 1": Case("fixed_amount", q("999999999999999999"), "999999999999999999", True),
    "amount 10^18": Case("fixed_amount", q("1000000000000000000"), "1000000000000000000", False),
    "amount 8 places": Case("fixed_amount", q("1.00000001"), "1.00000001", True),
    "amount 9 places": Case("fixed_amount", q("1.000000001"), "1.000000001", False),
    # referral rate when enabled: 0 < rate <= 1, 8 places
    "referral 1": Case("referral", q("1"), "1", True),
    "referral above 1": Case("referral", q("1.00000001"), "1.00000001", False),
    "referral 0": Case("referral", q("0"), "0", False),
    "referral smallest": Case("referral", q("0.00000001"), "0.00000001", True),
    "referral 9 places": Case("referral", q("0.000000001"), "0.000000001", False),
    # invite code: 6 to 10 characters, no Chinese characters
    "code 6": Case("code", q("ABCDEF"), "ABCDEF", True),
    "code 5": Case("code", q("ABCDE"), "ABCDE", False),
    "code 10": Case("code", q("ABCDEFGHIJ"), "ABCDEFGHIJ", True),
    "code 11": Case("code", q("ABCDEFGHIJK"), "ABCDEFGHIJK", False),
    **{
        f"code U+{cp:04X}": Case("code", q("ABCDE" + chr(cp)), "ABCDE" + chr(cp), not chinese)
        for cp, chinese in [
            (0x2FFF, False), (0x3000, True), (0x303F, True), (0x3040, False), (0x33FF, False), (0x3400, True),
            (0x4DBF, True), (0x4DC0, False), (0x4E00, True), (0x9FFF, True), (0xA000, False), (0xF8FF, False),
            (0xF900, True), (0xFAFF, True), (0xFB00, False), (0xFF00, True), (0xFFEF, True), (0xFFF0, False),
            (0x1FFFF, False), (0x20000, True), (0x2EBEF, True), (0x2EBF0, False), (0x30000, True),
            (0x3134F, True), (0x31350, False),
        ]
    },  # fmt: skip
    # cool-down: end not 0, end >= start
    "cooldown end = start": Case("end", "1798070400000", 1798070400000, True),
    "cooldown end before start": Case("end", "1798070399999", 1798070399999, False),
    "cooldown end 0": Case("end", "0", 0, False),
    "cooldown end as RFC 3339 0": Case("end", q("1970-01-01T00:00:00Z"), 0, False),
    # invite scope: a 32-bit integer >= 0
    "scope 0": Case("scope", "0", 0, True),
    "scope int32 max": Case("scope", "2147483647", 2147483647, True),
    "scope int32 max + 1": Case("scope", "2147483648", 2147483648, False),
    "scope negative": Case("scope", "-1", -1, False),
}

# Where the two knowingly differ, and why (the closing note's parity table says the same).
KNOWN = {
    # validate keeps times within RFC 3339's years (to 9999-12-31); the documents set no
    # bound and the sandbox takes any 64-bit epoch ms.
    "cooldown end after year 9999": Case("end", "253402300800000", 253402300800000, False),
}


def validates(tmp_path, case: Case):
    text = CONFIG.format(**{**DEFAULTS, case.key: case.written})
    path = tmp_path / "leaders.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_desired([path]).leaders["alpha"]
    except ConfigError:
        return None


def live(api):
    return live_from_api(api.get("/config")["data"], api.get("/symbols")["data"])


def base_body(api) -> dict:
    desired = load_desired_text(CONFIG.format(**DEFAULTS))
    state = live(api)
    return put_body(target(desired, state), state)


def load_desired_text(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "leaders.yaml"
        path.write_text(textwrap.dedent(text))
        return load_desired([path]).leaders["alpha"]


@pytest.mark.parametrize("name", CASES)
def test_validate_and_the_sandbox_agree(tmp_path, raw_api, name):
    case = CASES[name]
    api = raw_api("alpha")
    leader = validates(tmp_path, case)
    assert (leader is not None) == case.valid, f"validate: {name}"
    if leader is not None:  # exactly what leaderctl would send
        state = live(api)
        body = put_body(target(leader, state), state)
    else:  # the value as the user meant it
        body = {**base_body(api), API[case.key]: case.raw}
    answer = api.put_config(body)
    assert (answer["code"] == 200) == case.valid, f"sandbox: {name}: {answer}"


@pytest.mark.parametrize("name", KNOWN)
def test_the_known_difference_is_still_what_it_was(tmp_path, raw_api, name):
    case = KNOWN[name]
    api = raw_api("alpha")
    assert validates(tmp_path, case) is None  # validate: stricter
    answer = api.put_config({**base_body(api), API[case.key]: case.raw})
    assert answer["code"] == 200  # the sandbox: accepts
