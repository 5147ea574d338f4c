"""Client for the Toobit copy-trading leader API: signing, limits, retries, typed errors.

Importing this package is cheap: the errors, settings and the pure `classify` load
at once; `Connection`, `LeaderClient`, `Page` and `WeightLimiter` (which import
httpx) load on first use.
"""
from . import errors as _errors
from .classify import Call, Decision, Kind, NoAnswer, Why, classify
from .endpoint import DEFAULT_ENDPOINT, check_endpoint, is_loopback
from .errors import *  # noqa: F403 - every typed error, listed once in errors.__all__
from .retry import RetryPolicy
from .settings import ConnectionSettings

_LAZY = {"Connection": ".client", "LeaderClient": ".client", "Page": ".client", "WeightLimiter": ".limiter"}

__all__ = [
    "Connection", "ConnectionSettings", "RetryPolicy", "LeaderClient", "Page", "WeightLimiter",
    "DEFAULT_ENDPOINT", "check_endpoint", "is_loopback",
    "classify", "Call", "Decision", "Kind", "NoAnswer", "Why",
    *_errors.__all__,
]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
