"""The `ws` fixture: a workspace of its own per test, checked for leaked secrets at the end."""
from __future__ import annotations

import pytest
from gitops_testkit import workspace


@pytest.fixture
def ws(tmp_path):
    w = workspace(tmp_path)
    yield w
    w.assert_no_secrets()
