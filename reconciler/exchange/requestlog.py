"""One line per request to the `leaderctl.requests` logger (like Terraform's TF_LOG).

    desk-btc: PUT /api/v2/copy-trading/leader/config -> HTTP 503, code -, weight 1, attempt 1, 84 ms: unknown

Each line starts with the config's name of the leader the request is for (none for the
unsigned ones: the server time, the exchange's limits). Method and path only: never the query string (it holds the signature), a header,
a key, a secret or a body (the invite code). The CLI attaches a handler for -v.
"""
from __future__ import annotations

import logging

log = logging.getLogger("leaderctl.requests")


def log_request(
    endpoint: str,
    *,
    status: int | None,
    code: int | None,
    weight: int,
    attempt: int,
    elapsed_ms: float,
    outcome: str,
    failure: str = "",
    leader: str | None = None,
) -> None:
    """`endpoint` is "METHOD /path"; `outcome` what the client does next (done, retry, wait, unknown...)."""
    answer = f"HTTP {status}" if status is not None else f"no answer ({failure or 'failed'})"
    log.info(
        "%s%s -> %s, code %s, weight %d, attempt %d, %.0f ms: %s",
        f"{leader}: " if leader else "", endpoint, answer, "-" if code is None else code, weight, attempt, elapsed_ms, outcome,
    )
