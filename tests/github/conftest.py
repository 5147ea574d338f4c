"""Fixtures: `kit` = a config checkout, a sandbox exchange and the fake GitHub API,
checked at the end for any secret in what leaderctl printed or sent."""
from __future__ import annotations

import os
import tempfile

import pytest
from fake_github import FakeGitHub
from github_kit import make_kit

from reconciler.github import api
from reconciler.sandbox import Sandbox

os.environ.setdefault("LEADERCTL_CACHE_DIR", tempfile.mkdtemp(prefix="leaderctl-test-cache-"))


@pytest.fixture(autouse=True)
def _no_retry_wait(monkeypatch):
    monkeypatch.setattr(api, "RETRY_DELAY", 0.0)


@pytest.fixture
def gh():
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def kit(tmp_path, monkeypatch, gh):
    monkeypatch.chdir(tmp_path)
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        k = make_kit(tmp_path, sb, gh)
        yield k
        k.assert_no_secrets()
