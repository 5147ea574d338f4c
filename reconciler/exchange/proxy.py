"""Which proxy, if any, an endpoint goes through: from the environment, https only.

- A loopback endpoint (the sandbox, a test exchange) never uses a proxy: signed
  requests and the API key header must not leave the machine.
- A plain http:// endpoint is always loopback (endpoint.py), so HTTP_PROXY is never used.
- An https:// endpoint uses https_proxy/HTTPS_PROXY, else all_proxy/ALL_PROXY
  (lowercase first, as curl does), unless NO_PROXY matches the host.
- A proxy leaderctl cannot use (unknown scheme, socks without the socksio
  package, no host) is a ProxySettingError naming the variable and the scheme,
  never its value: it may hold a password.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .endpoint import is_loopback
from .errors import ProxySettingError

PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
SCHEMES = ("http", "https", "socks5", "socks5h")


@dataclass(frozen=True)
class ProxyChoice:
    """A proxy to use: where it came from, its URL without credentials, and the credentials."""

    variable: str
    scheme: str
    url: str  # scheme://host:port, no user:password
    auth: tuple[str, str] | None = None

    def __repr__(self) -> str:
        return f"ProxyChoice({self.variable}, {self.url!r})"


def proxy_for(endpoint: str, env: Mapping[str, str] | None = None) -> ProxyChoice | None:
    """The proxy for requests to `endpoint`, or None to connect directly."""
    env = os.environ if env is None else env
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if parts.scheme != "https" or is_loopback(host) or _bypassed(host, parts.port or 443, env):
        return None
    for variable in PROXY_VARIABLES:
        value = (env.get(variable) or "").strip()
        if value:
            return _parse(variable, value)
    return None


def _parse(variable: str, value: str) -> ProxyChoice:
    if "://" not in value:
        value = "http://" + value  # curl's reading of "proxy.corp:3128"
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ProxySettingError(f"{variable} is not a valid proxy URL: fix or unset {variable}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ProxySettingError(
            f"{variable} uses the proxy scheme {scheme!r}, which leaderctl cannot use: "
            f"use an http://, https:// or socks5:// proxy, or unset {variable}"
        )
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ProxySettingError(
            f"{variable} uses the proxy scheme {scheme!r}, which needs the socksio package: "
            f"pip install 'httpx[socks]', or unset {variable}"
        )
    if not host:
        raise ProxySettingError(f"{variable} names no proxy host: fix or unset {variable}")
    netloc = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{netloc}:{port}" if port else f"{scheme}://{netloc}"
    auth = (unquote(parts.username or ""), unquote(parts.password or "")) if parts.username is not None else None
    return ProxyChoice(variable, scheme, url, auth)


def _bypassed(host: str, port: int, env: Mapping[str, str]) -> bool:
    """NO_PROXY: `*`, host names (a leading dot optional: suffixes match), IPs, CIDR ranges, host:port."""
    raw = env.get("no_proxy") or env.get("NO_PROXY") or ""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower() for e in raw.split(",")):
        if entry == "*":
            return True
        if not entry:
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        if _matches(host, name.strip("[]").rstrip(".")):
            return True
    return False


def _matches(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        pass
    entry = entry.lstrip(".")
    return bool(entry) and (host == entry or host.endswith("." + entry))
