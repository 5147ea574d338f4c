"""The README's "Accepting changes made on the exchange" example is real output: the config
before, the trader's changes on the exchange, the diff refresh prints, the plan after."""
from __future__ import annotations

import re

from readme_kit import section
from test_plan_apply_e2e import set_live


def blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"^```{info}\n(.*?)^```$", text, re.M | re.S)


def test_the_readme_example_is_what_refresh_does(exchange):
    readme = section("Accepting changes made on the exchange")
    before, after = blocks(readme, "yaml")
    (diff,) = blocks(readme, "diff")
    (path := exchange.tmp / "leaders").mkdir()
    path = path / "desks.yaml"
    path.write_text(before)
    for name in ("desk-btc", "desk-eth"):
        set_live(exchange, name)  # no current lead orders
    assert exchange.run("apply", "--auto-approve", "leaders/").exit_code == 0  # in sync, then a trader's changes:
    set_live(exchange, "desk-btc", enabled=("BTC-SWAP-USDT", "ETH-SWAP-USDT", "SOL-SWAP-USDT"), profitRate="0.12",
             leadPositionType=-1)
    r = exchange.run("refresh", "--check", "leaders/")
    assert r.exit_code == 2 and r.stdout == diff
    r = exchange.run("refresh", "leaders/")
    assert r.exit_code == 0 and path.read_text() == after
    assert "leaderctl refresh --check leaders/" in readme
    r = exchange.run("plan", "--detailed-exitcode", "leaders/")
    assert r.exit_code == 0, r.output
