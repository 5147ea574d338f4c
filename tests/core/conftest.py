"""The `exchange` fixture: a sandbox exchange on port 0 and a CLI runner (see e2e_kit)."""
from __future__ import annotations

import pytest
from e2e_kit import SandboxedCli

from reconciler.sandbox import Sandbox


@pytest.fixture
def exchange(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        yield SandboxedCli(sb, tmp_path, monkeypatch)
