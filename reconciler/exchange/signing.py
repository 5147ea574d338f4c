"""Request signing (NOTES.md §2): HMAC-SHA256 over the query string exactly as sent.

The query string is built here, once, and the same string is both signed and put
on the wire, so no library can re-encode what was signed.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def signing_payload(query: str, body: bytes | None = None) -> str:
    """What the exchange signs: the query string only, never the JSON body.

    Toobit's worked copy-trading example signs only `recvWindow=...&timestamp=...`
    for the PUT with a JSON body. Kept as the one place to change if that changes.
    """
    return query


def sign(secret: str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of `payload`, keyed with the API secret."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def encode_query(params: Mapping[str, object]) -> str:
    """`k=v&...` in the given order, percent-encoded so httpx sends it unchanged."""
    return "&".join(f"{quote(str(k), safe='')}={quote(_text(v), safe='')}" for k, v in params.items())


def signed_query(
    params: Mapping[str, object],
    *,
    secret: str,
    timestamp: int,
    recv_window: int,
    body: bytes | None = None,
) -> str:
    """Endpoint params + recvWindow + timestamp, then `&signature=<hex>` appended."""
    query = encode_query({**params, "recvWindow": recv_window, "timestamp": timestamp})
    return f"{query}&signature={sign(secret, signing_payload(query, body))}"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
