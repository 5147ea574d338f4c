"""Exchange text is inert in every sink, and every secret a leader has is masked by value,
whatever its letter case (CONTRACT §9), end to end over real HTTP against the sandbox.

The hostile text comes from the exchange the way it would in production: pairs listed in
the account (the sandbox's state, as the exchange's own listing would), error messages
(the sandbox's error_code fault), follower nicknames."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from e2e_kit import config_text, leader_yaml
from inert_kit import HOSTILE_MESSAGE, code_text, live_markup, slack_unescaped
from test_plan_apply_e2e import set_live

from reconciler.sandbox import Fault

CONFIG_PATH = "/api/v2/copy-trading/leader/config"
CHANNEL = "<!channel>"
DISGUISED = "<https://evil.example/login|BTC-SWAP-USDT>"


class Hook:
    """A Slack-like webhook receiver on loopback."""

    def __init__(self):
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


def list_pairs(exchange, name, *symbols, lead=1):
    """The account lists (and leads) these pairs, as the exchange's own listing could."""
    state = exchange.sb.account_state(name)
    state["symbols"] += [{"symbolId": s, "leverage": "10", "isLead": lead} for s in symbols]
    exchange.sb.save()


# --- point 6: Slack ---------------------------------------------------------------------------


def test_live_symbol_ids_reach_the_slack_webhook_text_escaped(exchange, hook):
    set_live(exchange, "desk")
    list_pairs(exchange, "desk", CHANNEL, DISGUISED)
    path = exchange.write(config_text(leader_yaml("desk")))
    r = exchange.run("drift", "--webhook", hook.url, path)
    assert r.exit_code == 2, r.output
    (body,) = hook.bodies
    text = body["text"]
    assert CHANNEL not in text and DISGUISED not in text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example/login|BTC-SWAP-USDT&gt;" in text
    assert slack_unescaped(text) == [], text
    assert body["leaders"][0]["name"] == "desk"  # the machine-readable list is data, not mrkdwn


# --- point 6: markdown ------------------------------------------------------------------------


def test_an_exchange_message_is_not_live_markdown_in_plan_format_markdown(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=HOSTILE_MESSAGE))
    r = exchange.run("plan", "--format", "markdown", path)
    assert r.exit_code == 1, r.output
    assert "@octocat" in r.stdout  # shown, as text
    assert live_markup(r.stdout) == [], r.stdout
    assert "@octocat @acme/admins" in code_text(r.stdout)


def test_an_exchange_message_is_not_live_markdown_in_apply_format_markdown(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=HOSTILE_MESSAGE))
    r = exchange.run("apply", "--auto-approve", "--format", "markdown", path)
    assert r.exit_code == 1, r.output
    assert "@octocat" in r.stdout
    assert live_markup(r.stdout) == [], r.stdout


def test_a_symbol_id_is_not_live_markdown_either(exchange):
    set_live(exchange, "desk")
    list_pairs(exchange, "desk", "@octocat", "[x](https://evil.example)", "<b>x</b>")
    path = exchange.write(config_text(leader_yaml("desk")))
    r = exchange.run("plan", "--format", "markdown", path)
    assert r.exit_code == 0, r.output
    assert "@octocat" in r.stdout and live_markup(r.stdout) == [], r.stdout


# --- point 6: terminal ------------------------------------------------------------------------

CONTROLS = "BTC\x1b[2J\x1b]0;owned\x07\r\nfake line\u202eSWAP"


def test_show_symbols_prints_control_characters_escaped(exchange):
    set_live(exchange, "desk")
    list_pairs(exchange, "desk", CONTROLS)
    path = exchange.write(config_text(leader_yaml("desk")))
    r = exchange.run("show", "symbols", "-c", path, "--leader", "desk")
    assert r.exit_code == 0, r.output
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in r.output
    assert "\\x1b[2J" in r.stdout and "\\u202e" in r.stdout
    rows = len(exchange.sb.account_state("desk")["symbols"])
    assert len(r.stdout.splitlines()) == rows + 3  # header, rule, rows, count: no line of its own for "fake line"


def test_show_followers_and_config_print_exchange_text_escaped(exchange):
    set_live(exchange, "desk")
    state = exchange.sb.account_state("desk")
    state["followers"][0]["followerNickname"] = CONTROLS
    state["config"]["\x1b[31mkey"] = "v\x07"
    exchange.sb.save()
    path = exchange.write(config_text(leader_yaml("desk")))
    for what in ("followers", "config"):
        r = exchange.run("show", what, "-c", path, "--leader", "desk")
        assert r.exit_code == 0, r.output
        assert "\x1b" not in r.output and "\x07" not in r.output and "\r" not in r.output


def test_an_exchange_error_at_the_cli_boundary_is_printed_escaped(exchange):
    set_live(exchange, "desk")
    path = exchange.write(config_text(leader_yaml("desk")))
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=CONTROLS))
    r = exchange.run("show", "config", "-c", path, "--leader", "desk")
    assert r.exit_code == 1
    assert "\x1b" not in r.output and "\x07" not in r.output and "\u202e" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1


# --- point 7: redaction by value --------------------------------------------------------------

INVITE_YAML = """\
version: 1
leaders:
  desk:
    settings:
      cooldown: {{enabled: false}}
      position_type: cross
      trade_protection: true
      profit_sharing: {{period: weekly, rate: "{rate}"}}
      follower_minimums: {{asset: "50", fixed_amount: "5", fixed_rate: "5"}}
      invite: {{required: true, scope: 2, code_env: DESK_CODE}}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
"""


def everything(r) -> str:
    return r.stdout + r.stderr


def toobit_style_keys(exchange, name):
    """Keys spelled as Toobit's are (64 letters and digits, mixed case; not hex, which a
    signature pattern would catch by its shape): the account's and the environment's."""
    from reconciler.config import default_env

    key = "tAQfOrPIZAhym0qHISRt8EFvxPemdBm5j5WMlkm3Ke9aFp0EGWC2CGM8GHV4kCYW"
    secret = "lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW64ZqzQsiOEHXQS76"
    exchange.account(name)
    state = exchange.sb.account_state(name)
    state["api_key"], state["api_secret"] = key, secret
    exchange.sb.save()
    exchange.monkeypatch.setenv(default_env(name, "API_KEY"), key)
    exchange.monkeypatch.setenv(default_env(name, "API_SECRET"), secret)
    return key, secret


def test_an_exchange_error_echoing_the_api_key_upper_cased_is_masked_everywhere(exchange):
    key, secret = toobit_style_keys(exchange, "desk")
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    msg = f"api key {key.upper()} / secret {secret.lower()} not valid for this request"
    for fmt in ("text", "json", "markdown"):
        exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
        r = exchange.run("plan", "-v", "--format", fmt, path)
        assert r.exit_code == 1, r.output
        out = everything(r).lower()
        assert key.lower() not in out and secret.lower() not in out, out
        assert "(sensitive)" in out
    # and at the CLI boundary (show raises the error instead of planning around it)
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    r = exchange.run("show", "config", "-v", "-c", path, "--leader", "desk")
    assert r.exit_code == 1
    assert key.lower() not in everything(r).lower()


def test_the_configured_invite_code_not_sent_this_time_is_masked(exchange, monkeypatch):
    code = "Desk2026X"
    monkeypatch.setenv("DESK_CODE", code)
    set_live(exchange, "desk", profitRate="0.05", isNeedInvite=1, inviteScope=2, inviteCode=code)
    path = exchange.write(INVITE_YAML.format(rate="0.1"))
    msg = f"rate refused for the leader with code {code.lower()} ({code.upper()})"
    exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    for fmt in ("text", "json", "markdown"):
        r = exchange.run("apply", "--auto-approve", "-v", "--format", fmt, path)
        assert r.exit_code in (0, 1), r.output
        assert code.lower() not in everything(r).lower(), everything(r)
        exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    assert exchange.puts() and all("inviteCode" not in (p.body or {}) for p in exchange.puts())  # not sent


def test_the_live_invite_code_is_masked_even_when_the_config_names_another(exchange, monkeypatch):
    monkeypatch.setenv("DESK_CODE", "Conf2026Y")
    set_live(exchange, "desk", profitRate="0.05", isNeedInvite=1, inviteScope=2, inviteCode="Live2026Z")
    path = exchange.write(INVITE_YAML.format(rate="0.1"))
    msg = "code live2026z is taken; CONF2026Y would be new"
    exchange.sb.inject(Fault(method="PUT", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    r = exchange.run("apply", "--auto-approve", "-v", "--format", "json", path)
    assert r.exit_code == 1, r.output
    out = everything(r).lower()
    assert "live2026z" not in out and "conf2026y" not in out, out
    exchange.sb.inject(Fault(method="GET", path_prefix=CONFIG_PATH, kind="error_code", code=-1130, msg=msg))
    r = exchange.run("plan", "--out", exchange.tmp / "p.json", path)
    assert "conf2026y" not in everything(r).lower()
    assert "conf2026y" not in (exchange.tmp / "p.json").read_text().lower()
