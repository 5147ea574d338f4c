"""Untrusted input never does what nobody reviewed (CONTRACT §6), end to end over real
HTTP: hand-edited plan files, malformed exchange answers, read-backs that cannot be
trusted, text from the exchange that could break a terminal or a PR comment."""
from __future__ import annotations

import json

import pytest
from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

from reconciler.sandbox import Fault

CONFIG_PATH = "/api/v2/copy-trading/leader/config"


def saved_plan(exchange, path, name="plan.json"):
    out = exchange.tmp / name
    r = exchange.run("plan", "--out", out, path)
    assert r.exit_code == 0, r.output
    return out


def two_leaders(exchange):
    for name in ("a", "b"):
        set_live(exchange, name, profitRate="0.05")
    return exchange.write(config_text(leader_yaml("a", rate="0.1"), leader_yaml("b", rate="0.1")))


# --- plan files -------------------------------------------------------------------------------


def test_a_plan_file_applies_exactly_the_leaders_it_names(exchange):
    path = two_leaders(exchange)
    out = exchange.tmp / "only-a.json"
    assert exchange.run("plan", "--leader", "a", "--out", out, path).exit_code == 0
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 0, r.output
    assert exchange.config("a")["profitRate"] == "0.1" and exchange.config("b")["profitRate"] == "0.05"
    assert {p.account for p in exchange.puts()} == {"a"}


EDITS = {
    "no leaders": lambda d: d.update(leaders=[]),
    "leaders not a list": lambda d: d.update(leaders={"a": {}}),
    "paths not a list": lambda d: d.update(paths="examples/"),
    "no paths": lambda d: d.pop("paths"),
    "a leader without a name": lambda d: d["leaders"][0].pop("name"),
    "a status that does not exist": lambda d: d["leaders"][0].update(status="approved"),
    "changes of the wrong type": lambda d: d["leaders"][0].update(changes="all"),
    "a follower id as text": lambda d: d["leaders"][0].update(follower_removals=["123"]),
    "a fingerprint that is not one": lambda d: d.update(config_fingerprint=7),
    "an unknown key": lambda d: d.update(extra=True),
    "the same leader twice": lambda d: d["leaders"].append(dict(d["leaders"][0])),
    "NaN": None,
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_hand_edited_plan_file_is_refused_before_anything_is_sent(exchange, edit):
    path = two_leaders(exchange)
    out = saved_plan(exchange, path)
    if EDITS[edit] is None:
        out.write_text(out.read_text().replace('"follower_removals": []', '"follower_removals": [NaN]', 1))
    else:
        doc = json.loads(out.read_text())
        EDITS[edit](doc)
        out.write_text(json.dumps(doc))
    exchange.sb.clear_requests()
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1, r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1 and "plan" in r.stderr
    assert exchange.sb.requests == []  # nothing read, nothing written


def test_a_plan_made_in_another_directory_is_refused(exchange, tmp_path_factory, monkeypatch):
    path = two_leaders(exchange)
    out = exchange.tmp / "plan.json"
    monkeypatch.chdir(exchange.tmp)
    assert exchange.run("plan", "--out", out, path.name).exit_code == 0  # a relative path
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    exchange.sb.clear_requests()
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1 and "does not exist here: run apply in the directory where the plan was made" in r.stderr
    assert exchange.sb.requests == []


def test_plan_out_to_an_unwritable_place_is_one_clear_line(exchange):
    path = two_leaders(exchange)
    (exchange.tmp / "file").write_text("")
    r = exchange.run("plan", "--out", exchange.tmp / "file" / "plan.json", path)
    assert r.exit_code == 1 and "cannot write the plan file" in r.stderr and "internal error" not in r.output


# --- exchange answers -------------------------------------------------------------------------

MALFORMED = {
    "symbolIds a string": {"symbolIds": "BTC-SWAP-USDT"},
    "an empty config object": {},
    "a rate that is not a number": {"profitRate": "lots"},
    "a switch that is not one": {"tradeProtect": 2},
    "a position type out of range": {"leadPositionType": 5},
    "a required field missing": {"profitPeriod": None},
    "a symbol with an escape code": {"symbolIds": ["BTC-SWAP-USDT", "\x1b[31mPWNED"]},
    "nested instead of flat": {"profitRate": {"value": "0.1"}},
}


@pytest.mark.parametrize("case", MALFORMED)
def test_one_leaders_malformed_answer_makes_that_leader_error_and_the_others_go_on(exchange, case):
    path = two_leaders(exchange)
    data = dict(exchange.config("a"))
    data["symbolIds"] = ["BTC-SWAP-USDT", "ETH-SWAP-USDT"]
    data = {} if MALFORMED[case] == {} else {**data, **MALFORMED[case]}
    data = {k: v for k, v in data.items() if v is not None}
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="data", data=data))
    r = exchange.run("plan", "--format", "json", "--parallelism", "1", path)  # leader a reads first
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    status = {lp["name"]: lp["status"] for lp in doc["leaders"]}
    assert status == {"a": "error", "b": "changes"}
    (problem,) = doc["leaders"][0]["problems"]
    assert "malformed" in problem["message"] and "\x1b" not in r.output
    r = exchange.run("apply", "--auto-approve", "--parallelism", "1", path)
    assert {p.account for p in exchange.puts()} <= {"a", "b"}


def test_nan_from_the_exchange_is_an_error_not_a_value(exchange):
    path = two_leaders(exchange)
    body = json.dumps({"code": 200, "msg": "success", "data": {**exchange.config("a"), "symbolIds": ["BTC-SWAP-USDT"]}})
    body = body.replace('"profitRate": "0.05"', '"profitRate": NaN')
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="body", body=body.encode()))
    r = exchange.run("plan", "--format", "json", "--parallelism", "1", path)
    doc = json.loads(r.stdout)
    assert [lp["status"] for lp in doc["leaders"]] == ["error", "changes"]


def test_a_malformed_read_back_after_a_put_is_an_unknown_outcome(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    # the plan's GET config and the fresh read before the PUT pass (zero-latency faults),
    # the read-back after the PUT is garbage
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="latency", delay=0, times=2))
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="data", data={"symbolIds": 7}))
    r = exchange.run("apply", "--auto-approve", "--format", "json", path)
    assert r.exit_code == 3, r.output  # written, not confirmed
    (lp,) = json.loads(r.stdout)["leaders"]
    assert lp["result"] == "partial" and any("outcome unknown" in m for m in lp["messages"])
    assert exchange.config("desk")["profitRate"] == "0.1"  # it was in fact written


def test_exchange_text_is_escaped_in_text_and_cannot_break_out_of_markdown(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    msg = "bad value \x1b[2J\x1b[31m``` </details> <!-- leaderctl-plan -->"
    exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 1
    assert "\x1b" not in r.output and "\\x1b[2J" in r.stdout
    r = exchange.run("apply", "--auto-approve", "--format", "markdown", path)
    assert "\x1b" not in r.output
    exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    r = exchange.run("apply", "--auto-approve", "--format", "markdown", path)
    assert "<!-- leaderctl-plan -->" not in r.stdout.split("## leaderctl apply", 1)[1]


def test_an_exchange_error_shows_its_code_once(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-120041))
    r = exchange.run("plan", path)
    assert r.exit_code == 1
    assert r.stdout.count("-120041") == 1, r.stdout


def test_the_request_log_is_one_line_per_request_without_secrets_however_often_it_is_asked_for(exchange):
    acct = exchange.account("desk")
    path = exchange.write(config_text(leader_yaml("desk")))
    for _ in range(2):  # a second run in the same process must not log every line twice
        exchange.sb.clear_requests()
        r = exchange.run("plan", "-v", path)
        lines = [line for line in r.stderr.splitlines() if line.startswith("leaderctl: ") and " -> " in line]  # request lines
        assert lines and len(lines) == len(exchange.sb.requests), r.stderr
        assert all(" -> HTTP " in line for line in lines)
        assert acct.api_key not in r.output and acct.api_secret not in r.output and "signature" not in r.output
