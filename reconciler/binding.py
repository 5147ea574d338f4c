"""Keyed hashes that bind a leader's secrets into the plan digest and saved plans (docs/contract.md §9).

A plan comment and a plan file are read by reviewers, and a plan file may be copied
anywhere; neither may hold a secret. Yet what they promise must include the invite
code a PUT will carry, and (for a saved plan) the account it will be sent to. So those
enter as HMAC-SHA256 values keyed with the leader's **API secret**:

- the plan job and the apply job both have it (they sign every request with it), so
  the same code and account give the same value in both;
- a reviewer, a fork's author or whoever holds the plan file does not, so the value
  reveals nothing: an unkeyed hash of a 6-10 character code could be reversed by
  trying every code, a keyed one cannot without the secret;
- a rotated secret changes every value: a plan made before is refused ("the plan
  changed" / "stale plan"), which is the safe direction.

Each value is domain-separated by its purpose, so one can never stand for another.
The hash itself is `exchange.signing.keyed`: the secret never leaves the exchange
client (`LeaderClient.keyed_hash`); this module says what is bound.
"""
from __future__ import annotations

from reconciler.spec import SETTINGS


def sensitive_values(body: dict | None) -> str | None:
    """The sensitive values a PUT body carries, as one canonical text to hash; None if none."""
    if not body:
        return None
    carried = [f"{s.api}={body[s.api]}" for s in SETTINGS if s.sensitive and s.api in body]
    return "\n".join(carried) if carried else None
