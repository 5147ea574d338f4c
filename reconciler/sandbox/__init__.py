"""A local, faithful simulation of Toobit's copy-trading leader API, over real HTTP.

Used by `--sandbox` and `leaderctl sandbox` so people can try leaderctl without
keys, and by the tests to exercise the client against real requests. Standard
library only, and an independent oracle: its rules are written from the
documents (rules.py), never imported from leaderctl's validator.

Modules: server (HTTP, pipeline, Sandbox), exchange (the endpoints), rules (PUT
config fields and rules), store (the shared state file), faults, limiter (429/418),
codes (answer codes), wire (request/response), seed (seeded accounts).
"""
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import Account, RequestRecord, Sandbox, sign
from reconciler.sandbox.store import SandboxSaveError, SandboxStateError

__all__ = ["Account", "Fault", "RequestRecord", "Sandbox", "SandboxSaveError", "SandboxStateError", "sign"]
