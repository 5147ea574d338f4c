"""The client's own request path (client._CoreTarget over transport.Transport): the URL that
was signed is the request target on the wire, byte for byte, and one connection carries
many requests. (PUTs with bodies over this path: test_client_sandbox.py, where the sandbox
verifies signatures and bodies.)"""
from __future__ import annotations

import hashlib
import hmac
import socket
import threading

from exchange_httpkit import Listener
from reconciler.exchange import Connection
from reconciler.exchange.signing import encode_query

KEY, SECRET = "kEy0123456789abcdefKEYKEY", "sEcReT0123456789abcdefSECRET"
CONFIG = "/api/v2/copy-trading/leader/config"
BODY = b'{"code":200,"msg":"success","data":{"a":1}}'


def _read_head(conn: socket.socket, buffer: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    buffer[:] = rest
    return head


class Recorder:
    """Raw request heads, as the bytes that arrived; answers every request on the same connection."""

    def __init__(self):
        self.heads: list[bytes] = []
        self.lock = threading.Lock()

    def serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        while True:
            head = _read_head(conn, buffer)
            if head is None:
                return
            with self.lock:
                self.heads.append(head)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


def test_the_signed_url_is_the_request_target_byte_for_byte_on_one_connection():
    recorder = Recorder()
    with Listener(recorder.serve) as listener:
        endpoint = f"http://127.0.0.1:{listener.port}"
        with Connection(endpoint) as conn:
            assert conn._core is not None  # the ready-made path, not httpx.Client.send
            sent = []
            real_url = conn._url

            def spy(*args, **kwargs):
                url = real_url(*args, **kwargs)
                sent.append(url)
                return url

            conn._url = spy
            client = conn.leader(KEY, SECRET)
            odd = {"page": 1, "q": "a b/é&=+%~*"}  # what a re-encoding library would change
            for _ in range(3):
                client.get_config()
            conn.request("GET", "/api/v2/copy-trading/leader/followers", odd, signed=client._creds)
    assert listener.connections == 1  # every request reused the one connection
    assert len(recorder.heads) == len(sent) == 4
    for head, url in zip(recorder.heads, sent):
        request_line, *header_lines = head.split(b"\r\n")
        method, target, version = request_line.split(b" ")
        assert method == b"GET" and version == b"HTTP/1.1"
        assert target == url[len(endpoint):].encode("ascii")  # byte for byte what was signed
        path, _, query = target.decode("ascii").partition("?")
        unsigned, _, signature = query.rpartition("&signature=")
        assert hmac.compare_digest(signature, hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest())
        headers = dict(line.split(b": ", 1) for line in header_lines)
        assert headers[b"Host"] == f"127.0.0.1:{listener.port}".encode() and headers[b"X-BB-APIKEY"] == KEY.encode()
        assert SECRET.encode() not in head
    assert recorder.heads[-1].split(b" ")[1].decode().startswith(
        "/api/v2/copy-trading/leader/followers?" + encode_query(odd) + "&recvWindow=")


def test_an_endpoint_with_a_path_keeps_it_in_the_target():
    recorder = Recorder()
    with Listener(recorder.serve) as listener:
        with Connection(f"http://127.0.0.1:{listener.port}/prefix/") as conn:
            conn.leader(KEY, SECRET).get_config()
    target = recorder.heads[0].split(b" ")[1]
    assert target.startswith(b"/prefix" + CONFIG.encode() + b"?recvWindow=")
