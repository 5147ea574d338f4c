"""The weight spent by earlier runs, so back-to-back runs share one budget.

The exchange counts weight per IP per minute, but each leaderctl process has its
own limiter: a `plan` of 500 leaders followed within the minute by an `apply`
would start with a full budget the exchange no longer grants, get 429, and the
requests already in flight would count as "kept sending" (418, a ban). So a
connection loads what the last minute's runs spent (and any pause or ban they
were given) when it opens, and adds its own when it closes.

Keys: a remote endpoint's host (the real exchange bans the IP). A loopback endpoint is a
sandbox or a test exchange, restarted at will, where a record of an earlier process would
be stale: it gets one only when it names its instance in an `X-Leaderctl-Sandbox` header
(`leaderctl sandbox` does, on every answer), keyed `host:port#instance` and loaded at its
first answer, so back-to-back runs against one sandbox share its budget and a restarted
sandbox (a fresh state) starts clean. Best effort by design: an unwritable cache costs only
this protection, never a run. File: $LEADERCTL_CACHE_DIR or ~/.cache/leaderctl,
`weight.json`, one entry per key, pruned as it expires. Holds times only: no keys, no
URLs' queries.

It also remembers, per host, how the endpoint wants a PUT's JSON body signed
(`"signing": "query"` or `"query+body"`, signing.Variant), once a run learned it from
a -1022 answer (client.py): later runs start with the variant the endpoint accepts
instead of sending a write it will refuse. That entry does not expire.

And the weight budget learnt from the endpoint's exchangeInfo (budget.py), as
`"budget": {"weight_per_minute": N, "until": wall time}`, so that it is read once an hour.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from reconciler.atomic import atomic_write

FILE = "weight.json"
SIGNING_VARIANTS = ("query", "query+body")  # signing.Variant's values


def cache_dir() -> Path:
    explicit = os.environ.get("LEADERCTL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leaderctl"


@contextmanager
def _locked(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / (FILE + ".lock"), "a") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no cross-process lock, still atomic writes
            pass
        yield


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _prune(data: dict, now: float, window: float) -> dict:
    out = {}
    for host, entry in data.items():
        if not isinstance(entry, dict):
            continue
        ends = [t for t in entry.get("ends", []) if isinstance(t, (int, float)) and t + window > now]
        until = {k: entry[k] for k in ("paused_until", "banned_until") if isinstance(entry.get(k), (int, float)) and entry[k] > now}
        signing = {"signing": entry["signing"]} if entry.get("signing") in SIGNING_VARIANTS else {}
        budget = entry.get("budget")
        learnt = {"budget": budget} if _live_budget(budget, now) else {}
        if ends or until or signing or learnt:
            out[host] = {"ends": ends, **until, **signing, **learnt}
    return out


def _live_budget(budget, now: float) -> bool:
    return (isinstance(budget, dict) and isinstance(budget.get("weight_per_minute"), int)
            and not isinstance(budget.get("weight_per_minute"), bool)
            and isinstance(budget.get("until"), (int, float)) and budget["until"] > now)


def load(host: str, window: float) -> dict:
    """{"ends": [wall times], "paused_until": t?, "banned_until": t?, "signing": v?} for `host`, live entries only."""
    try:
        with _locked(cache_dir()):
            data = _read(cache_dir() / FILE)
    except OSError:
        return {"ends": []}
    return _prune(data, time.time(), window).get(host, {"ends": []})


def add(host: str, window: float, ends: list[float], paused_until: float | None = None, banned_until: float | None = None,
        signing: str | None = None, budget: tuple[int, float] | None = None) -> None:
    """Merge this run's spending into the file (atomically, under a lock)."""
    directory = cache_dir()
    try:
        with _locked(directory):
            path = directory / FILE
            data = _prune(_read(path), time.time(), window)
            entry = data.setdefault(host, {"ends": []})
            entry["ends"] = sorted(entry["ends"] + [round(t, 3) for t in ends])
            for key, value in (("paused_until", paused_until), ("banned_until", banned_until)):
                if value is not None:
                    entry[key] = max(value, entry.get(key, 0))
            if signing in SIGNING_VARIANTS:
                entry["signing"] = signing
            if budget is not None:
                entry["budget"] = {"weight_per_minute": int(budget[0]), "until": round(budget[1], 3)}
            data = _prune(data, time.time(), window)
            atomic_write(path, json.dumps(data))
    except OSError:
        pass
