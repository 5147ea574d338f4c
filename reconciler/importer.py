"""`leaderctl import`: a leader's live settings written back as a config file.

The output goes through the same loader and planner as any config, so plan on
it reports no changes; credentials and the invite code stay out of the file.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from reconciler.config import default_env
from reconciler.live import fetch_live
from reconciler.model import Credentials, LeaderSpec, Settings


def bare_spec(name: str) -> LeaderSpec:
    return LeaderSpec(
        name=name,
        credentials=Credentials(default_env(name, "API_KEY"), default_env(name, "API_SECRET")),
        settings=Settings(),
        symbols=(),
    )


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _time(ms: int) -> str:
    if ms % 1000 == 0:
        try:
            return _q(datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        except (OverflowError, ValueError, OSError):
            pass
    return str(ms)


def _dec(d) -> str:
    return _q(format(d, "f"))


def to_yaml(spec: LeaderSpec, live) -> str:
    s: Settings = live.settings
    name = spec.name
    lines = [
        f"# imported from the exchange by `leaderctl import --leader {name}`",
        "# (`leaderctl schema` prints the JSON Schema for editors)",
        "version: 1",
        "leaders:",
        f"  {name}:",
        "    credentials:",
        f"      api_key_env: {spec.credentials.api_key_env}",
        f"      api_secret_env: {spec.credentials.api_secret_env}",
        "    settings:",
        "      cooldown:",
        f"        enabled: {'true' if s.cooldown_enabled else 'false'}",
    ]
    if s.cooldown_enabled:
        if s.cooldown_start:
            lines.append(f"        start: {_time(s.cooldown_start)}")
        lines.append(f"        end: {_time(s.cooldown_end or 0)}")
    lines += [
        f"      position_type: {s.position_type}",
        f"      trade_protection: {'true' if s.trade_protection else 'false'}",
        "      profit_sharing:",
        f"        period: {s.profit_period}",
        f"        rate: {_dec(s.profit_rate)}",
        "      follower_minimums:",
        f"        asset: {_dec(s.follower_min_asset)}",
        f"        fixed_amount: {_dec(s.follower_min_fixed_amount)}",
        f"        fixed_rate: {_dec(s.follower_min_fixed_rate)}",
        "      invite:",
        f"        required: {'true' if s.invite_required else 'false'}",
        f"        scope: {s.invite_scope}",
    ]
    if s.invite_required and s.invite_code:
        lines.append(f"        code_env: {spec.invite_code_env or default_env(name, 'INVITE_CODE')}")
    if s.referral_enabled is not None:
        lines += ["      referral_sharing:", f"        enabled: {'true' if s.referral_enabled else 'false'}"]
        if s.referral_rate is not None and (s.referral_enabled or s.referral_rate != 0):
            lines.append(f"        rate: {_dec(s.referral_rate)}")
    lines.append("    symbols:")
    lines += [f"      - {_q(sym)}" for sym in live.symbols]
    return "\n".join(lines) + "\n"


def import_leader(spec: LeaderSpec, session) -> str:
    client = session.client(spec)
    live = fetch_live(client)
    return to_yaml(spec, live)


def write(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
