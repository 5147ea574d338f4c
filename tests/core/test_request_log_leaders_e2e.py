"""-v: every signed request's line names the leader it is for (issue 18), never a secret."""
from __future__ import annotations

from collections import Counter

from e2e_kit import config_text, leader_yaml

NAMES = ("desk-a", "desk-b", "desk-c")


def _request_lines(stderr: str) -> list[str]:
    return [line.removeprefix("leaderctl: ") for line in stderr.splitlines() if " -> HTTP " in line or " -> no answer" in line]


def test_every_request_line_names_its_leader_in_plan_and_apply(exchange):
    accounts = [exchange.account(name) for name in NAMES]
    for name in NAMES:
        exchange.clear_orders(name)
    path = exchange.write(config_text(*(leader_yaml(n, rate="0.12") for n in NAMES)))
    for args in (("plan", "-v", "--parallelism", "3", path), ("apply", "-v", "--auto-approve", path)):
        exchange.sb.clear_requests()
        r = exchange.run(*args)
        assert r.exit_code in (0, 2), r.output
        lines = _request_lines(r.stderr)
        signed = [rec for rec in exchange.sb.requests if rec.account is not None]
        assert lines and len(lines) == len(exchange.sb.requests), r.stderr
        named = Counter(line.split(": ", 1)[0] for line in lines if line.split(": ", 1)[0] in NAMES)
        assert named == Counter(rec.account for rec in signed), r.stderr  # each line, its own leader
        for line in lines:
            name, _, rest = line.partition(": ")
            if line.startswith("GET /api/v1/"):  # the run's unsigned exchangeInfo read: no leader's
                continue
            assert name in NAMES and rest.split(" ")[0] in ("GET", "PUT", "DELETE"), line
        assert sum(1 for line in lines if line.startswith("GET /api/v1/")) == len(exchange.sb.requests) - len(signed)
        text = r.output + r.stderr
        for acct in accounts:
            assert acct.api_key not in text and acct.api_secret not in text
        assert "signature" not in text and "timestamp=" not in text
