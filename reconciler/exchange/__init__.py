"""Client for the Toobit copy-trading leader API: signing, limits, retries, typed errors."""
from . import errors as _errors
from .client import DEFAULT_ENDPOINT, Connection, LeaderClient, Page
from .errors import *  # noqa: F403 - every typed error, listed once in errors.__all__
from .limiter import WeightLimiter

__all__ = ["Connection", "LeaderClient", "Page", "WeightLimiter", "DEFAULT_ENDPOINT", *_errors.__all__]
