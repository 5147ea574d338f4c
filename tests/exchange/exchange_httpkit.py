"""Tiny stdlib HTTP servers for client tests: scripted answers, trickles, slow answers, TLS, a proxy.

`Server(respond)` runs a threading HTTP/1.1 server on 127.0.0.1; `respond(req)`
returns an `Answer` (status, headers, body chunks, delays). Every request is
recorded as a `Seen` (method, path, raw query, headers, body).
"""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Answer:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line
    chunk_delay: float = 0.0  # between body chunks
    length: int | None = None  # Content-Length for an iterable body (None: close-delimited)
    raw_head: bytes | None = None  # send these bytes as the whole head, trickled with chunk_delay
    close: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


def wrapped(code=200, data=None, msg="success", status=200, **headers) -> Answer:
    import json

    return Answer(status, json.dumps({"code": code, "msg": msg, "data": data}).encode(),
                  {"Content-Type": "application/json", **headers})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _any(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        with self.server.lock:
            self.server.seen.append(seen)
        answer = self.server.respond(seen)
        try:
            self._write(answer)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    do_GET = do_PUT = do_DELETE = do_POST = _any

    def _write(self, answer: Answer) -> None:
        time.sleep(answer.delay)
        if answer.raw_head is not None:
            for byte in answer.raw_head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(answer.chunk_delay)
            self.close_connection = True
            return
        chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if isinstance(answer.body, bytes):
            self.send_header("Content-Length", str(len(answer.body)))
        elif answer.length is not None:
            self.send_header("Content-Length", str(answer.length))
        if answer.close or (not isinstance(answer.body, bytes) and answer.length is None):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
            if answer.chunk_delay:
                time.sleep(answer.chunk_delay)


class Server:
    """A scripted HTTP server on loopback; use as a context manager."""

    def __init__(self, respond: Callable[[Seen], Answer], tls: ssl.SSLContext | None = None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client hanging up is a test's point
        self.httpd.respond = respond
        self.httpd.seen = []
        self.httpd.lock = threading.Lock()
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def seen(self) -> list[Seen]:
        return self.httpd.seen

    def __enter__(self) -> Server:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Listener:
    """A bare TCP listener that counts connections and hands each to `serve(conn)` in a thread."""

    def __init__(self, serve: Callable[[socket.socket], None]):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received: list[bytes] = []
        self._serve = serve
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            self._serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def self_signed(directory: Path, host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate (openssl CLI)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=IP:{host},DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
