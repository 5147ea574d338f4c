"""Helpers for end-to-end runs of the CLI against a sandbox exchange over real HTTP."""
from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import default_env
from reconciler.sandbox import Sandbox

LEADER_YAML = """\
  {name}:
    settings:
      cooldown:
        enabled: false
      position_type: cross
      trade_protection: true
      profit_sharing:
        period: weekly
        rate: "{rate}"
      follower_minimums:
        asset: "50"
        fixed_amount: "5"
        fixed_rate: "5"
      invite:
        required: false
        scope: 1
    symbols: [{symbols}]
{extra}"""


def leader_yaml(name: str, *, rate: str = "0.08", symbols: str = "BTC-SWAP-USDT, ETH-SWAP-USDT", extra: str = "") -> str:
    return LEADER_YAML.format(name=name, rate=rate, symbols=symbols, extra=textwrap.indent(extra, "    ") if extra else "")


def config_text(*leaders: str) -> str:
    return "version: 1\nleaders:\n" + "".join(leaders)


class SandboxedCli:
    """A sandbox on port 0 plus credentials in the environment, and a CLI runner."""

    def __init__(self, sb: Sandbox, tmp: Path, monkeypatch):
        self.sb = sb
        self.tmp = tmp
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("LEADERCTL_ENDPOINT", sb.url)

    def account(self, name: str, *, readonly: bool = False, leader: bool = True):
        acct = self.sb.ensure_account(name, leader=leader)
        key, secret = (acct.readonly_api_key, acct.readonly_api_secret) if readonly else (acct.api_key, acct.api_secret)
        self.monkeypatch.setenv(default_env(name, "API_KEY"), key)
        self.monkeypatch.setenv(default_env(name, "API_SECRET"), secret)
        return acct

    def write(self, text: str, name: str = "leaders.yaml") -> Path:
        path = self.tmp / name
        path.write_text(text)
        return path

    def run(self, *args: str, input: str | None = None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    def writes(self) -> list:
        return [r for r in self.sb.requests if r.method in ("PUT", "DELETE")]

    def puts(self) -> list:
        return [r for r in self.sb.requests if r.method == "PUT"]

    def config(self, name: str) -> dict:
        return self.sb.account_state(name)["config"]

    def clear_orders(self, name: str) -> None:
        self.sb.account_state(name)["orders_current"] = []
        self.sb.save()


def subprocess_env(sb, tmp_path: Path) -> dict:
    """The environment of a `python -m reconciler` run against `sb` (no LEADERCTL_* of the
    caller's, its own cache directory, no colour)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERCTL_")}
    env.update(LEADERCTL_ENDPOINT=sb.url, LEADERCTL_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    return env


def drifted_leaders(sb, env: dict, path: Path, names) -> Path:
    """Accounts `names` on `sb` with a live rate (0.05) other than the config's (0.1) and no
    current orders, their credentials in `env`; the config written to `path`."""
    for name in names:
        acct = sb.ensure_account(name)
        state = sb.account_state(name)
        state["config"]["profitRate"] = "0.05"
        state["orders_current"] = []
        env[default_env(name, "API_KEY")] = acct.api_key
        env[default_env(name, "API_SECRET")] = acct.api_secret
    sb.save()
    path.write_text(config_text(*(leader_yaml(name, rate="0.1") for name in names)))
    return path
