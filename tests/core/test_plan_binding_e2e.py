"""CONTRACT §9: a saved plan binds the invite code (a keyed hash), the endpoint and the
account; applied with another code, endpoint or credentials it is refused, nothing sent
(the CLI against sandboxes over real HTTP)."""
from __future__ import annotations

import hashlib
import json

from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

from reconciler.config import default_env
from reconciler.sandbox import Sandbox

STATE = ("config", "symbols", "orders_current")


def copy_state(source: Sandbox, name: str, target: Sandbox, target_name: str) -> None:
    """`target_name` on `target` gets the live state of `name` on `source` (not its keys)."""
    target.ensure_account(target_name)
    state = target.account_state(target_name)
    for part in STATE:
        state[part] = json.loads(json.dumps(source.account_state(name)[part]))
    target.save()

INVITE = "required: false\n        scope: 1"
CODE_ENV = "required: true\n        scope: 1\n        code_env: DESK_CODE"


def _saved(exchange, path, *extra):
    out = exchange.tmp / "plan.json"
    r = exchange.run("plan", "--out", out, *extra, path)
    assert r.exit_code == 0, r.output
    return out


def test_a_saved_plan_applied_with_another_invite_code_is_stale(exchange, monkeypatch):
    set_live(exchange, "desk", profitRate="0.05", isNeedInvite=1, inviteCode="LIVE0001")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")).replace(INVITE, CODE_ENV))
    monkeypatch.setenv("DESK_CODE", "CODEAAAA")
    out = _saved(exchange, path)
    saved = out.read_text()
    assert "CODEAAAA" not in saved and hashlib.sha256(b"CODEAAAA").hexdigest() not in saved

    monkeypatch.setenv("DESK_CODE", "CODEBBBB")  # the variable now holds another code
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1, r.output
    assert "stale plan" in r.stderr and "invite code" in r.stderr
    assert "CODEBBBB" not in r.output and "CODEAAAA" not in r.output
    assert exchange.writes() == []
    assert json.loads(saved)["leaders"][0]["sealed"]  # bound, as a keyed hash

    monkeypatch.setenv("DESK_CODE", "CODEAAAA")  # the reviewed code: applied, exactly it
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 0, r.output
    (put,) = exchange.puts()
    assert put.body["inviteCode"] == "CODEAAAA"


def test_a_saved_plan_is_refused_on_another_account(exchange, monkeypatch):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    out = _saved(exchange, path)
    # another account whose live state matches desk's, and its credentials in desk's variables
    copy_state(exchange.sb, "desk", exchange.sb, "other")
    other = exchange.sb.ensure_account("other")
    monkeypatch.setenv(default_env("desk", "API_KEY"), other.api_key)
    monkeypatch.setenv(default_env("desk", "API_SECRET"), other.api_secret)
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1, r.output
    assert "stale plan" in r.stderr and "credentials are not those of the account the plan was made with" in r.stderr
    assert exchange.writes() == []
    assert other.api_key not in out.read_text()


def test_a_saved_plan_is_refused_on_another_endpoint(exchange, tmp_path):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    out = _saved(exchange, path)
    # a second exchange on another port, the same accounts and the same state
    with Sandbox(state_path=tmp_path / "second.json") as second:
        copy_state(exchange.sb, "desk", second, "desk")
        second.clear_requests()
        exchange.monkeypatch.setenv("LEADERCTL_ENDPOINT", second.url)
        r = exchange.run("apply", "--auto-approve", "--plan", out)
        assert r.exit_code == 1, r.output
        assert "stale plan: it was made against" in r.stderr and exchange.sb.url in r.stderr
        assert [q for q in second.requests if q.method in ("PUT", "DELETE")] == []
    assert exchange.writes() == []


def test_a_sandbox_plan_is_refused_against_an_exchange(exchange):
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    out = _saved(exchange, path, "--sandbox")  # the embedded sandbox, seeded as `exchange` is
    exchange.account("desk")
    r = exchange.run("apply", "--auto-approve", "--plan", out)
    assert r.exit_code == 1, r.output
    assert "made against the embedded sandbox (--sandbox)" in r.stderr
    assert exchange.writes() == []
