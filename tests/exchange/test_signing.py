"""Signing: the NOTES.md test vector, and that what is signed is the query as sent."""
from __future__ import annotations

import hashlib
import hmac

from reconciler.exchange.signing import encode_query, sign, signed_query, signing_payload

SECRET = "30lfjDT51iOG1kYZnDoLNynOyMdIcmQyO1XYfxzYOmQfx9tjiI98Pzio4uhZ0Uk2"
PAYLOAD = "recvWindow=5000&timestamp=1717200000000"
DIGEST = "e02e1a0c8de99db2ead6c144d587c54eb40feac513bdd0e5836a2e0a9fc2dec7"


def test_notes_vector():
    assert sign(SECRET, PAYLOAD) == DIGEST


def test_only_the_query_is_signed_even_with_a_json_body():
    assert signing_payload(PAYLOAD, b'{"profitRate":"0.1"}') == PAYLOAD
    with_body = signed_query({}, secret=SECRET, timestamp=1717200000000, recv_window=5000, body=b"{}")
    assert with_body == f"{PAYLOAD}&signature={DIGEST}"


def test_endpoint_params_come_first_then_recv_window_and_timestamp():
    query = signed_query({"page": 2, "size": 100}, secret=SECRET, timestamp=1717200000000, recv_window=5000)
    unsigned, _, signature = query.rpartition("&signature=")
    assert unsigned == "page=2&size=100&recvWindow=5000&timestamp=1717200000000"
    assert signature == hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
    assert signature == signature.lower() and len(signature) == 64


def test_values_are_percent_encoded_so_they_go_out_unchanged():
    assert encode_query({"a b": "x&y=z", "flag": True, "n": -1}) == "a%20b=x%26y%3Dz&flag=1&n=-1"
