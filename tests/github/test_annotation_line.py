"""CONTRACT §9/#10: for a desired pair that is not available, the `::error` annotation of
`leaderctl github plan` (fake GitHub API + sandbox, over HTTP) points at that pair's own
line and column, in whichever file wrote the list (leader or profile), not at the list's
first item."""
from __future__ import annotations

import re


def _error_for(r, pair: str) -> tuple[str, int, int]:
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("::error ") and pair in x]
    m = re.match(r"::error file=([^,]+),line=(\d+),col=(\d+),", line)
    assert m, line
    return m.group(1), int(m.group(2)), int(m.group(3))


def _line_col(kit, relpath: str, text: str, after: str | None = None) -> tuple[int, int]:
    lines = (kit.root / relpath).read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(lines) if after in x) if after else 0
    for i, x in enumerate(lines[start:], start):
        if text in x:
            return i + 1, x.index(text) + 1
    raise AssertionError(text)


def test_a_block_list_points_at_the_unknown_pairs_line(kit):
    kit.edit("examples/desk-btc.yaml", "      - ETH-SWAP-USDT\n", "      - ETH-SWAP-USDT\n      - FOO-SWAP-USDT\n      - XRP-SWAP-USDT\n")
    r = kit.run("plan", "examples/")
    assert r.code == 1, r.output
    assert _error_for(r, "FOO-SWAP-USDT") == ("examples/desk-btc.yaml", *_line_col(kit, "examples/desk-btc.yaml", "FOO-SWAP-USDT"))
    first = _line_col(kit, "examples/desk-btc.yaml", "- BTC-SWAP-USDT")[0]
    assert _error_for(r, "FOO-SWAP-USDT")[1] == first + 2


def test_a_flow_list_points_at_the_unknown_pairs_column(kit):
    kit.edit("examples/desks/alt-desks.yaml", "[BTC-SWAP-USDT, DOGE-SWAP-USDT]", "[BTC-SWAP-USDT, DOGE-SWAP-USDT, FOO-SWAP-USDT]")
    r = kit.run("plan", "examples/")
    assert r.code == 1, r.output
    assert _error_for(r, "FOO-SWAP-USDT") == ("examples/desks/alt-desks.yaml", *_line_col(kit, "examples/desks/alt-desks.yaml", "FOO-SWAP-USDT"))


def test_a_list_from_a_profile_points_into_the_profile(kit):
    kit.edit("examples/fleet/profiles.yaml", "    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]\n",
             "    symbols:\n      - BTC-SWAP-USDT\n      - ETH-SWAP-USDT\n      - PEPE-SWAP-USDT\n")
    r = kit.run("plan", "examples/")
    assert r.code == 1, r.output
    errors = [x for x in r.stderr.splitlines() if x.startswith("::error ") and "PEPE-SWAP-USDT" in x]
    assert len(errors) == 2  # fleet-a and fleet-c extend `standard`; fleet-b has its own list
    where = _line_col(kit, "examples/fleet/profiles.yaml", "PEPE-SWAP-USDT")
    for line in errors:
        assert line.startswith(f"::error file=examples/fleet/profiles.yaml,line={where[0]},col={where[1]},"), line
