"""Network limits over real loopback HTTP (CONTRACT §6 "Network"): whole-request deadline,
body size after decompression with bounded memory, TLS failures, proxies, endpoint parsing."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
import zlib

import pytest

from exchange_httpkit import Answer, Listener, Server, self_signed, wrapped
from reconciler.errors import UsageError
from reconciler.exchange import (
    BannedError,
    Connection,
    EndpointNotFoundError,
    InsecureEndpointError,
    OutcomeUnknownError,
    ProxySettingError,
    ResponseTooLargeError,
    RetryPolicy,
    TLSVerificationError,
    TransportError,
    UnexpectedResponseError,
)
from reconciler.exchange.proxy import proxy_for

KEY, SECRET = "kEy0123456789abcdefKEYKEY", "sEcReT0123456789abcdefSECRET"
CONFIG = "/api/v2/copy-trading/leader/config"
NO_RETRY = RetryPolicy(retries=0)
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def client(url, **settings):
    settings.setdefault("retry", NO_RETRY)
    return Connection(url, **settings).leader(KEY, SECRET)


# --- the whole-request deadline ----------------------------------------------------------


def trickle(where: str) -> Answer:
    """An answer that arrives one byte every 0.2 s: 20 s for the head or the body."""
    body = json.dumps({"code": 200, "msg": "success", "data": {"x": "y" * 60}}).encode()
    if where == "head":
        return Answer(raw_head=b"HTTP/1.1 200 OK\r\nX-Padding: " + b"p" * 100 + b"\r\n", chunk_delay=0.2)
    return Answer(200, (body[i:i + 1] for i in range(len(body))), length=len(body), chunk_delay=0.2)


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_trickling_read_times_out_as_a_whole_and_is_retried(where):
    with Server(lambda req: trickle(where)) as server:
        leader = client(server.url, timeout=1.0, retry=RetryPolicy(retries=1, backoff=0))
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            leader.get_config()
        elapsed = time.monotonic() - started
    assert "timed out" in str(info.value) and info.value.kind == "ReadTimeout"
    assert len(server.seen) == 2  # retried once, then gave up
    assert 1.9 < elapsed < 10  # two attempts of 1 s each, not 2 x 20 s of trickle


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_trickling_write_is_an_unknown_outcome_at_the_deadline(where):
    with Server(lambda req: trickle(where)) as server:
        leader = client(server.url, timeout=1.0, retry=RetryPolicy(retries=3, backoff=0))
        started = time.monotonic()
        with pytest.raises(OutcomeUnknownError) as info:
            leader.put_config({"unLeadType": 0})
        elapsed = time.monotonic() - started
    assert info.value.kind == "ReadTimeout" and "read the state back" in str(info.value)
    assert [r.method for r in server.seen] == ["PUT"]  # never resent
    assert 0.9 < elapsed < 8


def test_a_slow_but_steady_answer_within_the_deadline_is_read():
    body = json.dumps({"code": 200, "msg": "success", "data": {"a": 1}}).encode()
    answer = Answer(200, (body[i:i + 8] for i in range(0, len(body), 8)), length=len(body), chunk_delay=0.05)
    with Server(lambda req: answer) as server:
        assert client(server.url, timeout=20).get_config() == {"a": 1}


# --- body size, after decompression ----------------------------------------------------------


def big_config(n: int) -> bytes:
    return json.dumps({"code": 200, "msg": "success", "data": {"symbolIds": ["X" * 100] * n}}).encode()


@pytest.mark.parametrize("encoding", ["identity", "gzip", "deflate", "raw-deflate"])
def test_bodies_over_the_limit_are_refused_after_decompression(encoding):
    body = big_config(200)  # ~21 KB; limit 16 KB
    if encoding == "gzip":
        sent, header = gzip.compress(body), "gzip"
    elif encoding == "deflate":
        sent, header = zlib.compress(body), "deflate"
    elif encoding == "raw-deflate":
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        sent, header = z.compress(body) + z.flush(), "deflate"
    else:
        sent, header = body, "identity"
    assert len(sent) < 16_000 or encoding == "identity"
    with Server(lambda req: Answer(200, sent, {"Content-Encoding": header})) as server:
        with pytest.raises(ResponseTooLargeError):
            client(server.url, max_body=16_000).get_config()
        with pytest.raises(OutcomeUnknownError) as info:
            client(server.url, max_body=16_000).put_config({"unLeadType": 0})
        assert "too large" in str(info.value)
        # the same body fits a larger limit, decoded
        assert len(client(server.url, max_body=32_000).get_config()["symbolIds"]) == 200


def test_a_declared_length_over_the_limit_is_refused_without_reading():
    def huge(req):
        return Answer(200, (b"x" * 65536 for _ in range(10_000)), length=655_360_000)

    with Server(huge) as server:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError):
            client(server.url, max_body=1 << 20).get_config()
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_unsupported_encodings_are_unreadable_not_guessed(encoding):
    body = json.dumps({"code": 200, "msg": "success", "data": {}}).encode()
    with Server(lambda req: Answer(200, body, {"Content-Encoding": encoding})) as server:
        with pytest.raises(UnexpectedResponseError) as info:
            client(server.url).get_config()
        assert "could not be decoded" in str(info.value) and "Content-Encoding" in str(info.value)
        with pytest.raises(OutcomeUnknownError):
            client(server.url).remove_follower(5)
        assert server.seen[0].headers["accept-encoding"] == "gzip, deflate"


def test_corrupt_gzip_is_unreadable():
    with Server(lambda req: Answer(200, b"\x1f\x8b\x08\x00garbage-garbage", {"Content-Encoding": "gzip"})) as server:
        with pytest.raises(UnexpectedResponseError):
            client(server.url).get_config()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros as one ~1 MB gzip member."""
    z = zlib.compressobj(1, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    block = bytes(1 << 20)
    return b"".join([z.compress(block) for _ in range(1024)] + [z.flush()])


MEASURE = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # the old client would need > 2 GiB
from reconciler.exchange import Connection, ResponseTooLargeError, RetryPolicy
leader = Connection(sys.argv[1], retry=RetryPolicy(retries=0)).leader("k" * 20, "s" * 20)
try:
    leader.get_config()
    outcome = "read"
except ResponseTooLargeError:
    outcome = "refused"
except BaseException as e:
    outcome = type(e).__name__
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(outcome, hwm)
"""


def test_a_gzip_bomb_is_refused_with_memory_bounded(gzip_bomb):
    assert 900_000 < len(gzip_bomb) < 1_200_000
    chunks = lambda: (gzip_bomb[i:i + 65536] for i in range(0, len(gzip_bomb), 65536))  # noqa: E731
    with Server(lambda req: Answer(200, chunks(), {"Content-Encoding": "gzip"}, length=len(gzip_bomb))) as server:
        run = subprocess.run([sys.executable, "-c", MEASURE, server.url], capture_output=True, text=True, timeout=120)
    outcome, hwm_kib = run.stdout.split()
    peak_mib = int(hwm_kib) / 1024
    print(f"gzip bomb: {outcome}, peak RSS {peak_mib:.1f} MiB")
    assert outcome == "refused", run.stderr[-2000:]
    assert peak_mib < 100


# --- TLS ---------------------------------------------------------------------------------------


def test_a_certificate_that_does_not_verify_says_so_and_is_not_retried(tmp_path):
    context = self_signed(tmp_path)

    def serve(conn):
        context.wrap_socket(conn, server_side=True)  # the client refuses the certificate

    with Listener(serve) as listener:
        leader = client(f"https://127.0.0.1:{listener.port}", retry=RetryPolicy(retries=3, backoff=0))
        with pytest.raises(TLSVerificationError) as info:
            leader.get_config()
        with pytest.raises(TLSVerificationError):
            leader.put_config({"unLeadType": 0})  # refused before anything was sent: not "unknown"
    text = str(info.value)
    assert text.startswith("TLS certificate verification failed for 127.0.0.1: ")
    assert "self-signed" in text or "self signed" in text
    assert "could not reach" not in text
    assert listener.connections == 2  # one handshake per call: never retried


def test_tls_is_verified_against_the_certificate_name(tmp_path):
    context = self_signed(tmp_path, host="127.0.0.1")
    with Server(lambda req: wrapped(data={}), tls=context) as server:
        with pytest.raises(TLSVerificationError):
            client(server.url).get_config()
        assert server.seen == []


# --- proxies -----------------------------------------------------------------------------------


def recording_proxy():
    """A "proxy" that records what reaches it and refuses every tunnel."""
    def serve(conn):
        data = conn.recv(65536)
        listener.received.append(data)
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    listener = Listener(serve)
    return listener


def test_a_loopback_endpoint_never_goes_through_a_proxy(monkeypatch):
    with recording_proxy() as proxy, Server(lambda req: wrapped(data={"a": 1})) as server:
        url = f"http://user:pw@127.0.0.1:{proxy.port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, url)
        for endpoint in (server.url, server.url.replace("127.0.0.1", "localhost")):
            assert client(endpoint).get_config() == {"a": 1}
    assert proxy.connections == 0 and proxy.received == []
    assert len(server.seen) == 2 and server.seen[0].headers["x-bb-apikey"] == KEY


def test_an_https_endpoint_uses_the_https_proxy_with_a_tunnel(monkeypatch):
    with recording_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://proxyuser:proxypw@127.0.0.1:{proxy.port}")
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # never used: no plain-http endpoint is remote
        with pytest.raises(TransportError) as info:
            client("https://api.exchange.test").get_config()
    assert proxy.connections == 1
    request = proxy.received[0].decode()
    assert request.startswith("CONNECT api.exchange.test:443 HTTP/1.1")
    assert "Proxy-Authorization: Basic" in request
    assert KEY not in request and "signature" not in request  # the signed request goes inside the tunnel
    assert "proxypw" not in str(info.value) + repr(info.value)


def test_no_proxy_keeps_a_host_off_the_proxy(monkeypatch):
    with recording_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "localhost,192.0.2.0/24")
        with pytest.raises(TransportError):
            client("https://192.0.2.1", timeout=0.5).get_config()  # TEST-NET: nothing answers
    assert proxy.connections == 0


@pytest.mark.parametrize("value, scheme", [("socks5://user:topsecret@proxy.corp:1080", "socks5"),
                                           ("ftp://user:topsecret@proxy.corp:21", "ftp"),
                                           ("gopher://topsecret@x", "gopher")])
def test_an_unusable_proxy_scheme_is_one_clear_line(monkeypatch, value, scheme):
    monkeypatch.setenv("ALL_PROXY", value)
    try:
        import socksio  # noqa: F401
        if scheme == "socks5":
            Connection("https://api.toobit.com").close()  # usable: nothing to report
            return
    except ImportError:
        pass
    with pytest.raises(ProxySettingError) as info:
        Connection("https://api.toobit.com")
    text = str(info.value)
    assert isinstance(info.value, UsageError) and "\n" not in text
    assert "ALL_PROXY" in text and repr(scheme) in text
    assert "topsecret" not in text + repr(info.value) and "proxy.corp" not in text
    Connection("http://127.0.0.1:9").close()  # loopback: the proxy does not matter


def test_proxy_choice_follows_curl_conventions():
    url = "https://api.toobit.com"
    assert proxy_for(url, {}) is None
    assert proxy_for(url, {"HTTP_PROXY": "http://p:1"}) is None  # http_proxy is for http:// targets
    assert proxy_for(url, {"HTTPS_PROXY": "http://p:1", "ALL_PROXY": "http://q:2"}).url == "http://p:1"
    assert proxy_for(url, {"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}).url == "http://low:1"
    assert proxy_for(url, {"ALL_PROXY": "proxy.corp:3128"}).url == "http://proxy.corp:3128"
    choice = proxy_for(url, {"HTTPS_PROXY": "http://us%40er:p%3Aw@p:1"})
    assert choice.auth == ("us@er", "p:w") and "p:w" not in repr(choice)
    for no_proxy in ("*", "api.toobit.com", ".toobit.com", "toobit.com", "other, toobit.com", "api.toobit.com:443"):
        assert proxy_for(url, {"HTTPS_PROXY": "http://p:1", "NO_PROXY": no_proxy}) is None, no_proxy
    for no_proxy in ("obit.com", "api.toobit.com:8443", "other.com"):
        assert proxy_for(url, {"HTTPS_PROXY": "http://p:1", "NO_PROXY": no_proxy}) is not None, no_proxy
    for loopback in ("https://127.0.0.1:8443", "https://localhost", "https://[::1]:1", "http://127.0.0.1"):
        assert proxy_for(loopback, {"HTTPS_PROXY": "http://p:1", "ALL_PROXY": "http://p:1"}) is None


# --- endpoint parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://[::1", "http://[::1]:99999", "https://api.toobit.com:port", "https://",
                                 "ftp://api.toobit.com", "https://api.toobit.com/?x=1", "api.toobit.com"])
def test_a_malformed_endpoint_is_a_usage_error(url):
    with pytest.raises(UsageError) as info:
        Connection(url)
    assert "\n" not in str(info.value) and "endpoint" in str(info.value)


@pytest.mark.parametrize("url", ["http://127.1", "http://127.0.0.1.", "http://[::1]", "http://127.0.0.1:8080",
                                 "http://0x7f.0.0.1", "http://2130706433", "http://127.255.255.254",
                                 "http://localhost.", "http://LOCALHOST:1", "http://[::ffff:127.0.0.1]"])
def test_loopback_spellings_are_loopback(url):
    Connection(url).close()


@pytest.mark.parametrize("url", ["http://127.0.0.1.evil.com", "http://localhost.evil.com", "http://foo.localhost",
                                 "http://0.0.0.0", "http://128.0.0.1", "http://[::2]", "http://1.2.3.4",
                                 "http://127.1.evil", "http://0x7f.evil", "http://loopback", "http://ip6-localhost"])
def test_other_hosts_are_not_loopback(url):
    with pytest.raises(InsecureEndpointError):
        Connection(url)


# --- 404 ------------------------------------------------------------------------------------------


def test_a_404_names_the_endpoint_that_is_not_offered():
    with Server(lambda req: Answer(404, b"<html>Not Found</html>", {"Content-Type": "text/html"})) as server:
        with pytest.raises(EndpointNotFoundError) as info:
            client(server.url).get_config()
    assert info.value.detail.startswith(f"this exchange does not offer GET {CONFIG}: ")
    assert len(server.seen) == 1


def test_the_deadline_does_not_count_time_waiting_for_the_limiter():
    with Server(lambda req: wrapped(data={"a": 1})) as server:
        conn = Connection(server.url, retry=NO_RETRY, timeout=1.0)
        conn.limiter.pause(1.5)
        assert conn.leader(KEY, SECRET).get_config() == {"a": 1}


def test_concurrent_deadlines_are_per_request():
    slow = Answer(200, json.dumps({"code": 200, "msg": "ok", "data": {}}).encode(), delay=3)
    fast = wrapped(data={"fast": True})
    with Server(lambda req: slow if "orders" in req.path else fast) as server:
        conn = Connection(server.url, retry=NO_RETRY, timeout=1.5)
        leader = conn.leader(KEY, SECRET)
        errors = []
        thread = threading.Thread(target=lambda: errors.append(pytest.raises(TransportError, leader.get_current_orders)))
        thread.start()
        assert leader.get_config() == {"fast": True}
        thread.join(10)
    assert len(errors) == 1


def test_a_ban_is_known_from_the_status_even_when_the_body_is_unreadable():
    with Server(lambda req: Answer(418, b"\x00garbage", {"Content-Encoding": "br", "Retry-After": "600"})) as server:
        conn = Connection(server.url, retry=NO_RETRY)
        with pytest.raises(BannedError) as info:
            conn.leader(KEY, SECRET).put_config({"unLeadType": 0})
    assert conn.banned and info.value.retry_after == 600
