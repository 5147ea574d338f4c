"""apply against an exchange that wants the PUT's JSON body signed: the first PUT answered -1022
is resent once signed over query and body, the report says so, the next leader's PUT is signed
that way at once (the sandbox over real HTTP, told to accept only that variant)."""
from __future__ import annotations

import json

from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live


def test_apply_learns_that_the_endpoint_signs_the_body_and_says_so(exchange):
    for name in ("desk-a", "desk-b"):
        set_live(exchange, name, profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk-a", rate="0.1"), leader_yaml("desk-b", rate="0.1")))
    exchange.sb.body_signing = "query+body"
    exchange.sb.clear_requests()
    r = exchange.run("apply", "--auto-approve", "--parallelism", "1", "--format", "json", path)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [lp["result"] for lp in doc["leaders"]] == ["applied", "applied"]
    notes = [m for lp in doc["leaders"] for m in lp["messages"]]
    assert len(notes) == 1 and "-1022" in notes[0] and "signed over the query string and the JSON body" in notes[0]
    assert [q.code for q in exchange.puts()] == [-1022, 200, 200]
    assert all(exchange.config(n)["profitRate"] == "0.1" for n in ("desk-a", "desk-b"))


def test_the_text_report_says_so_too(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.body_signing = "query+body"
    r = exchange.run("apply", "--auto-approve", path)
    assert r.exit_code == 0, r.output
    assert "refused the PUT's signature (-1022)" in r.stdout and "leader desk: applied" in r.stdout
