"""A local, faithful simulation of Toobit's copy-trading leader API, over real HTTP.

Used by `--sandbox` and `leaderctl sandbox` so people can try leaderctl without
keys, and by the tests to exercise the client against real requests. Standard
library only.
"""
from reconciler.sandbox.server import Account, Fault, RequestRecord, Sandbox, serve, sign

__all__ = ["Account", "Fault", "RequestRecord", "Sandbox", "serve", "sign"]
