"""The exchange's base URL: parsed once, plain http only to loopback."""
from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from reconciler.errors import UsageError

from .errors import InsecureEndpointError

DEFAULT_ENDPOINT = "https://api.toobit.com"

_IPV4_SHORTHAND = re.compile(r"[0-9a-fA-FxX.]+")  # what inet_aton reads: 127.1, 0x7f.1, 2130706433


def check_endpoint(endpoint: str) -> str:
    """The base URL without a trailing slash or user:password@; plain http only to loopback."""
    try:
        parts = urlsplit(str(endpoint).strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(f"the endpoint {_shown(endpoint)} is not a valid URL: write it like https://api.toobit.com") from None
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise UsageError("the endpoint must be a URL such as https://api.toobit.com")
    if parts.scheme == "http" and not is_loopback(host):
        raise InsecureEndpointError(meaning=f"refusing plain http:// to {host}, which is not loopback")
    netloc = parts.netloc.rpartition("@")[2]  # never keep user:password@
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8 (any spelling inet_aton reads), ::1 (or v4-mapped 127.x), `localhost`; no other name."""
    host = host.strip("[]").lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _ipv4_shorthand_loopback(host)
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _ipv4_shorthand_loopback(host: str) -> bool:
    if not _IPV4_SHORTHAND.fullmatch(host) or not any(c.isdigit() for c in host):
        return False
    try:
        return socket.inet_aton(host)[0] == 127
    except OSError:
        return False


def _shown(endpoint: object) -> str:
    """The endpoint as typed, minus any user:password@, for an error message."""
    text = re.sub(r"//[^/@]*@", "//", str(endpoint))
    return repr(text[:200])
