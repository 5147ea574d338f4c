"""Request signing (docs/exchange-api.md §2): HMAC-SHA256 over the query string exactly as sent.

The query string is built here, once, and the same string is both signed and put
on the wire, so no library can re-encode what was signed.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import quote


class Variant(StrEnum):
    """What a request with a JSON body signs (the exchange's docs leave it open)."""

    QUERY = "query"  # the query string only (Toobit's worked copy-trading example; the default)
    QUERY_AND_BODY = "query+body"  # the query string, then the JSON body exactly as sent

    @property
    def other(self) -> "Variant":
        return Variant.QUERY_AND_BODY if self is Variant.QUERY else Variant.QUERY


def signing_payload(query: str, body: bytes | None = None, variant: Variant = Variant.QUERY) -> str:
    """What is signed: the query string, and with QUERY_AND_BODY the JSON body appended to it.

    Toobit's worked copy-trading example signs only `recvWindow=...&timestamp=...` for
    the PUT with a JSON body; public clients disagree (one signs query+body, one query
    only). The client starts with QUERY and, when a PUT is answered -1022 after signed
    GETs succeeded, resends it once with the other variant and remembers the one the
    endpoint accepted (client.py, ledger.py). This is the one place that says what each
    variant signs. A request without a body signs the same under both.
    """
    if variant is Variant.QUERY_AND_BODY and body:
        return query + body.decode("utf-8")
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
    variant: Variant = Variant.QUERY,
) -> str:
    """Endpoint params + recvWindow + timestamp, then `&signature=<hex>` appended."""
    query = encode_query({**params, "recvWindow": recv_window, "timestamp": timestamp})
    return f"{query}&signature={sign(secret, signing_payload(query, body, variant))}"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


_BINDING_DOMAIN = "leaderctl-binding-v1"


def keyed(key: str, purpose: str, value: str) -> str:
    """Lowercase hex HMAC-SHA256 of `value` for `purpose`, keyed with `key` (the API secret):
    what binds a secret into a digest or a saved plan (reconciler/binding.py says why)."""
    message = f"{_BINDING_DOMAIN}\0{purpose}\0{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
