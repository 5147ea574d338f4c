"""CONTRACT §9: each PUT is built from a read taken after the yes prompt (a real pty, the
sandbox over real HTTP changed by hand while apply waits at the prompt)."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from e2e_kit import config_text, leader_yaml
from test_plan_apply_e2e import set_live

PROMPT = b"Only 'yes' is accepted"


def apply_changing_at_the_prompt(exchange, path, change) -> tuple[int, str]:
    """Run `apply PATH` on a terminal; when it asks, call `change()` (the by-hand edit), then say yes."""
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(path)], stdin=follower,
                            stdout=follower, stderr=follower, env=env, cwd=exchange.tmp, close_fds=True)
    os.close(follower)
    seen, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and PROMPT in seen:
            change()
            os.write(leader, b"yes\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(timeout=30)
    os.close(leader)
    assert answered, seen.decode(errors="replace")
    return code, seen.decode(errors="replace")


def edit(exchange, name, *, enable=(), orders=None, **config):
    def change():
        state = exchange.sb.account_state(name)
        state["config"].update(config)
        for s in state["symbols"]:
            if s["symbolId"] in enable:
                s["isLead"] = 1
        if orders is not None:
            state["orders_current"] = orders
        exchange.sb.save()

    return change


def test_an_ignored_path_changed_at_the_prompt_is_sent_as_it_is_then(exchange):
    set_live(exchange, "desk", profitRate="0.05", followAssetLowerLimit="70")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", extra="ignore: [settings.follower_minimums]\n")))
    code, screen = apply_changing_at_the_prompt(exchange, path, edit(exchange, "desk", followAssetLowerLimit="99"))
    assert code == 0, screen
    (put,) = exchange.puts()
    assert put.body["followAssetLowerLimit"] == "99" and put.body["profitRate"] == "0.1"
    assert exchange.config("desk")["followAssetLowerLimit"] == "99"  # not reverted to the plan-time 70
    assert "leader desk: applied" in screen


def test_a_pair_enabled_at_the_prompt_under_ignore_symbols_stays_enabled(exchange):
    set_live(exchange, "desk", profitRate="0.05", enabled=("BTC-SWAP-USDT",))
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", extra="ignore: [symbols]\n")))
    code, screen = apply_changing_at_the_prompt(exchange, path, edit(exchange, "desk", enable=("ETH-SWAP-USDT",)))
    assert code == 0, screen
    (put,) = exchange.puts()
    assert sorted(put.body["symbolIds"]) == ["BTC-SWAP-USDT", "ETH-SWAP-USDT"]
    lead = {s["symbolId"] for s in exchange.sb.account_state("desk")["symbols"] if s["isLead"]}
    assert lead == {"BTC-SWAP-USDT", "ETH-SWAP-USDT"}


def test_a_managed_value_changed_at_the_prompt_makes_the_leader_stale(exchange):
    set_live(exchange, "desk", profitRate="0.05")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1")))
    code, screen = apply_changing_at_the_prompt(exchange, path, edit(exchange, "desk", profitRate="0.07"))
    assert code == 1, screen  # nothing was written
    assert exchange.writes() == []
    assert exchange.config("desk")["profitRate"] == "0.07"
    assert "stale" in screen and "settings.profit_sharing.rate changed on the exchange since the plan" in screen


def test_a_pair_to_disable_that_got_a_lead_order_at_the_prompt_is_refused_before_sending(exchange):
    set_live(exchange, "desk", profitRate="0.05", enabled=("BTC-SWAP-USDT", "ETH-SWAP-USDT"), orders=[])
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", symbols="BTC-SWAP-USDT")))
    order = {"symbolId": "ETH-SWAP-USDT", "positionType": 0}
    code, screen = apply_changing_at_the_prompt(exchange, path, edit(exchange, "desk", orders=[order]))
    assert code == 1, screen
    assert exchange.writes() == []  # found on the fresh read (-32090), not by sending
    assert "-32090" in screen or "lead order" in screen, screen
    assert "stale" in screen


def test_a_put_held_back_by_a_429_is_built_again_from_a_read_after_the_wait(exchange):
    """A 429 (not processed) on the PUT: the pause is waited out, the config read again, and the
    PUT carries what the ignored path holds after the wait, not what it held before."""
    import threading

    from reconciler.sandbox import Fault

    set_live(exchange, "desk", profitRate="0.05", followAssetLowerLimit="70")
    path = exchange.write(config_text(leader_yaml("desk", rate="0.1", extra="ignore: [settings.follower_minimums]\n")))
    exchange.sb.inject(Fault(method="PUT", kind="429", retry_after=1, times=1))
    done = threading.Event()

    def edit_during_the_pause():
        while not done.is_set():
            if exchange.puts():  # the first PUT was answered 429
                edit(exchange, "desk", followAssetLowerLimit="88")()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=edit_during_the_pause)
    watcher.start()
    try:
        r = exchange.run("apply", "--auto-approve", path)
    finally:
        done.set()
        watcher.join()
    assert r.exit_code == 0, r.output
    first, second = exchange.puts()
    assert first.code == -1003 and first.body["followAssetLowerLimit"] == "70"
    assert second.body["followAssetLowerLimit"] == "88" and second.body["profitRate"] == "0.1"
    assert exchange.config("desk")["followAssetLowerLimit"] == "88"
    gets = [q for q in exchange.sb.requests if q.method == "GET" and q.path.endswith("/config")]
    assert len(gets) == 4  # plan, fresh read, fresh read after the pause, read-back
