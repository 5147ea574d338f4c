"""A write built from a fresh read is not sent when the weight budget holds it back longer
than its read may age (`fresh_for`): WaitedBeforeSending, nothing on the wire (sandbox, HTTP)."""
from __future__ import annotations

import pytest

from reconciler.exchange import Connection, WaitedBeforeSending


def test_a_write_held_back_by_the_budget_is_not_sent(sandbox):
    a = sandbox.ensure_account("alpha")
    with Connection(sandbox.url, weight_per_minute=2, window_seconds=2.0) as conn:
        client = conn.leader(a.api_key, a.api_secret)
        client.get_config()
        client.get_symbols()  # the budget is spent for the next 2 s
        sandbox.clear_requests()
        with pytest.raises(WaitedBeforeSending):
            client.put_config({"profitRate": "0.2"}, fresh_for=0.3)
        assert [q for q in sandbox.requests if q.method == "PUT"] == []
