"""The exchange's answer codes and messages, and the error that carries one.

Messages are the documented ones (docs/exchange-api.md §5 and §3); the
ones the documents do not spell out (-1006, -1007, bans) follow the wording of
Toobit's common error-code reference, which is Binance's.
"""
from __future__ import annotations

MESSAGES = {
    200: "success",
    -1000: "unknown",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current request weight limit exceeded.",
    -1006: "An unexpected response was received from the message bus. Execution status unknown.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    -1020: "This operation is not supported.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
    -120041: "Copy trading leader is not available.",
    -120047: "Leader does not exist.",
    -120067: "Copy trading level config not found.",
    -120072: "Copy trading leader config is invalid.",
    -120073: "Unable to switch invite setting.",
    -120078: "unLeadStartTime or unLeadEndTime is invalid.",
    -32090: "Trading pair change is not allowed.",
    -32093: "Copy trading position type cannot be changed.",
    -32045: "Copy trading follower not found.",
    -120055: "The follower currently has copy position, cannot be removed.",
    -120510: "Invite code already exists.",
    -120511: "Invite code contains sensitive content.",
    -120512: "Invite code is invalid.",
}


class ApiError(Exception):
    """A documented error answer: `{"code": code, "msg": msg}` with HTTP `status`."""

    def __init__(self, code: int, msg: str | None = None, status: int = 200):
        self.code = code
        self.msg = msg if msg is not None else message(code)
        self.status = status
        super().__init__(f"{code} {self.msg}")


def message(code: int) -> str:
    return MESSAGES.get(code, "unknown")


def invalid(name: str) -> ApiError:
    """-1130: a parameter is present but out of range, precision or format."""
    return ApiError(-1130, f"Data sent for paramter '{name}' is not valid.")


def missing(name: str) -> ApiError:
    """-1102: a mandatory parameter is absent or of the wrong JSON type."""
    return ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def rate_limited_message(limit: int) -> str:
    """The -1003 message of an HTTP 429 (weight over the minute's budget)."""
    return f"Too many requests; current limit is {limit} request weight per 1 MINUTE."


def banned_message(ip: str, until_ms: int) -> str:
    """The -1003 message of an HTTP 418, and of a -1003 that means "stop everything"."""
    return f"Way too many requests; IP({ip}) banned until {until_ms}. Please use the websocket for live updates to avoid bans."
