"""Shared fixtures: a live sandbox exchange per test, and a hand-signing HTTP client.

`RawApi` signs requests exactly as NOTES.md section 2 describes, independently of
leaderctl's own client, so the sandbox tests check the sandbox against the
documents rather than against our client.
"""
from __future__ import annotations

import hashlib
import hmac
import time

import os
import tempfile

import httpx
import pytest
import re

from reconciler.sandbox import Sandbox

# Property and fuzz tests explore new random cases on a developer's machine; CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci) runs the same fixed sequence each time, so a landing is reproducible.
from hypothesis import settings as _hypothesis_settings

_hypothesis_settings.register_profile("ci", derandomize=True)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

LEADER = "/api/v2/copy-trading/leader"

# the cross-run weight ledger (reconciler/exchange/ledger.py) of test runs stays out of ~/.cache
os.environ.setdefault("LEADERCTL_CACHE_DIR", tempfile.mkdtemp(prefix="leaderctl-test-cache-"))


@pytest.fixture
def sandbox(tmp_path):
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        yield sb


class RawApi:
    """Signed requests by hand: X-BB-APIKEY, recvWindow, timestamp, signature."""

    def __init__(self, base_url: str, api_key: str, api_secret: str):
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.api_key = api_key
        self.api_secret = api_secret

    def signed_query(self, params=None, *, timestamp=None, recv_window=5000, secret=None) -> str:
        pairs = dict(params or {})
        if recv_window is not None:
            pairs["recvWindow"] = recv_window
        pairs["timestamp"] = int(time.time() * 1000) if timestamp is None else timestamp
        query = "&".join(f"{k}={v}" for k, v in pairs.items())
        digest = hmac.new((secret or self.api_secret).encode(), query.encode(), hashlib.sha256).hexdigest()
        return f"{query}&signature={digest}"

    def request(self, method, path, params=None, json=None, *, query=None, api_key=None, content=None,
                timeout=10, **signing) -> httpx.Response:
        """`query` replaces the signed query string; `api_key=""` sends no key header."""
        if query is None:
            query = self.signed_query(params, **signing)
        key = self.api_key if api_key is None else api_key
        headers = {"X-BB-APIKEY": key} if key else {}
        return self.http.request(method, f"{path}?{query}", json=json, content=content, headers=headers,
                                 timeout=timeout)

    def call(self, method, path, params=None, json=None, **kw) -> dict:
        """The wrapper of a leader endpoint (`path` relative to the leader prefix)."""
        response = self.request(method, LEADER + path, params, json, **kw)
        return response.json()

    def get(self, path, params=None, **kw) -> dict:
        return self.call("GET", path, params, **kw)

    def put_config(self, body, **kw) -> dict:
        return self.call("PUT", "/config", json=body, **kw)

    def delete_follower(self, user_id, **kw) -> dict:
        return self.call("DELETE", f"/followers/{user_id}", **kw)

    def close(self):
        self.http.close()


@pytest.fixture
def raw_api(sandbox):
    """make(name, leader=True, readonly=False) -> RawApi signed with that account's key."""
    clients = []

    def make(name="alpha", *, leader=True, readonly=False) -> RawApi:
        acct = sandbox.ensure_account(name, leader=leader)
        key, secret = (
            (acct.readonly_api_key, acct.readonly_api_secret) if readonly else (acct.api_key, acct.api_secret)
        )
        client = RawApi(sandbox.url, key, secret)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def raw_client():
    """make(url, api_key, api_secret) -> RawApi for any sandbox, e.g. one in another process."""
    clients = []

    def make(url: str, api_key: str, api_secret: str) -> RawApi:
        client = RawApi(url, api_key, api_secret)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def base_config(sandbox):
    """A valid PUT config body equal to the seeded config of account "alpha"."""
    sandbox.ensure_account("alpha")
    config = dict(sandbox.account_state("alpha")["config"])
    body = {k: v for k, v in config.items() if k != "inviteCode"}
    body["unLeadStartTime"] = int(body["unLeadStartTime"])
    body["unLeadEndTime"] = int(body["unLeadEndTime"])
    body["symbolIds"] = [s["symbolId"] for s in sandbox.account_state("alpha")["symbols"] if s["isLead"]]
    return body


# --- the `slow` marker ----------------------------------------------------------
# A test module that starts processes (subprocess, or one of the kits that run the CLI
# or a standalone sandbox) is slow; `pytest -m "not slow"` runs the in-process suite.
# Decided from the module's own imports, so a new subprocess test is marked by itself.
_PROCESS_KITS = re.compile(
    r"^\s*(?:import subprocess|from subprocess |(?:from|import) \.?(?:\w+\.)*"
    r"(?:e2e_kit|github_kit|gitops_testkit|sandbox_process|sandbox_procs|readme_kit|lint_kit|"
    r"exchange_httpkit)\b)",
    re.M,
)
_slow_modules: dict[str, bool] = {}


def _starts_processes(path) -> bool:
    key = str(path)
    if key not in _slow_modules:
        try:
            source = open(key, encoding="utf-8").read()
        except OSError:
            source = ""
        _slow_modules[key] = bool(_PROCESS_KITS.search(source))
    return _slow_modules[key]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: starts processes (CLI, standalone sandbox, installs)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _starts_processes(item.path):
            item.add_marker(pytest.mark.slow)
