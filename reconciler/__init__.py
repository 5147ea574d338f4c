"""leaderctl: keep Toobit copy-trading leader settings as code."""

__version__ = "0.2.0"
