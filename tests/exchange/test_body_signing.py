"""Signing a PUT's JSON body (CONTRACT §9, NOTES.md §2): the docs leave open whether the body is
signed. A PUT answered -1022 after signed GETs were accepted is resent once signed the other
way; the variant the endpoint accepts is remembered (per connection, and per host in the
ledger). Against the sandbox over real HTTP, told to accept only the body-signed variant."""
from __future__ import annotations

import json

import pytest

from codes_kit import raises_code
from reconciler.exchange import Connection
from reconciler.exchange import ledger
from reconciler.exchange.signing import Variant, sign, signed_query, signing_payload

SECRET = "30lfjDT51iOG1kYZnDoLNynOyMdIcmQyO1XYfxzYOmQfx9tjiI98Pzio4uhZ0Uk2"
PAYLOAD = "recvWindow=5000&timestamp=1717200000000"
DIGEST = "e02e1a0c8de99db2ead6c144d587c54eb40feac513bdd0e5836a2e0a9fc2dec7"  # NOTES.md's vector


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADERCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_variants_sign_the_query_then_the_body_as_sent():
    body = b'{"profitRate":"0.1"}'
    assert signing_payload(PAYLOAD, body) == PAYLOAD  # the default: NOTES.md's worked example
    assert sign(SECRET, signing_payload(PAYLOAD, body, Variant.QUERY)) == DIGEST
    assert signing_payload(PAYLOAD, body, Variant.QUERY_AND_BODY) == PAYLOAD + body.decode()
    assert signing_payload(PAYLOAD, None, Variant.QUERY_AND_BODY) == PAYLOAD  # no body: the same
    with_body = signed_query({}, secret=SECRET, timestamp=1717200000000, recv_window=5000, body=body,
                             variant=Variant.QUERY_AND_BODY)
    assert with_body == f"{PAYLOAD}&signature={sign(SECRET, PAYLOAD + body.decode())}"


def _body(client) -> dict:
    config = client.get_config()
    config["profitRate"] = "0.11"
    for k in ("unLeadStartTime", "unLeadEndTime"):
        config[k] = int(config[k])
    return config


def _puts(sandbox):
    return [(r.http_status, r.code) for r in sandbox.requests if r.method == "PUT"]


def test_a_put_refused_as_badly_signed_is_resent_once_with_the_body_signed_and_remembered(sandbox, cache):
    sandbox.body_signing = "query+body"
    a, b = sandbox.ensure_account("alpha"), sandbox.ensure_account("beta")
    notes = []
    with Connection(sandbox.url, ledger=True) as conn:
        first = conn.leader(a.api_key, a.api_secret)
        first.put_config(_body(first), report=notes.append)
        assert sandbox.account_state("alpha")["config"]["profitRate"] == "0.11"
        assert conn.body_signing is Variant.QUERY_AND_BODY
        second = conn.leader(b.api_key, b.api_secret)
        second.put_config(_body(second))  # signed the accepted way at once
    (note,) = notes
    assert "-1022" in note and "query string and the JSON body" in note
    assert [code for _, code in _puts(sandbox)] == [-1022, 200, 200]  # alpha refused, resent; beta once
    entry = json.loads((cache / ledger.FILE).read_text())[sandbox.url.split("//")[1]]
    assert entry["signing"] == "query+body"

    sandbox.clear_requests()
    with Connection(sandbox.url, ledger=True) as later:  # a later run starts with what was learned
        client = later.leader(a.api_key, a.api_secret)
        client.put_config({**_body(client), "profitRate": "0.12"})
    assert len(_puts(sandbox)) == 1
    assert sandbox.account_state("alpha")["config"]["profitRate"] == "0.12"


def test_back_to_the_query_only_variant_when_the_endpoint_changes_again(sandbox, cache):
    a = sandbox.ensure_account("alpha")
    sandbox.body_signing = "query+body"
    with Connection(sandbox.url, ledger=True) as conn:
        client = conn.leader(a.api_key, a.api_secret)
        client.put_config(_body(client))
    sandbox.body_signing = "query"
    with Connection(sandbox.url, ledger=True) as conn:
        assert conn.body_signing is Variant.QUERY_AND_BODY
        client = conn.leader(a.api_key, a.api_secret)
        client.put_config({**_body(client), "profitRate": "0.13"})
        assert conn.body_signing is Variant.QUERY
    assert sandbox.account_state("alpha")["config"]["profitRate"] == "0.13"


def test_no_resend_without_a_signed_read_accepted_first(sandbox):
    """A -1022 before any signed GET succeeded may be a wrong secret: not resent."""
    a = sandbox.ensure_account("alpha")
    with Connection(sandbox.url) as conn:
        body = _body(conn.leader(a.api_key, a.api_secret))
    sandbox.body_signing = "query+body"
    sandbox.clear_requests()
    with Connection(sandbox.url) as conn:
        with raises_code(-1022):
            conn.leader(a.api_key, a.api_secret).put_config(body)
    assert len(_puts(sandbox)) == 1


def test_a_wrong_secret_is_not_resent(sandbox):
    a = sandbox.ensure_account("alpha")
    with Connection(sandbox.url) as conn:
        good = conn.leader(a.api_key, a.api_secret)
        body = _body(good)
        sandbox.clear_requests()
        with raises_code(-1022):  # both variants fail: resent once, then refused
            conn.leader(a.api_key, "x" * len(a.api_secret)).put_config(body)
    assert len(_puts(sandbox)) == 2
    assert conn.body_signing is Variant.QUERY
