"""The server's one way out to an address others choose (site/fetch.py): public https only, as connected."""

import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from site import fetch as fetching
from site.fetch import FetchFailed, FetchRefused, address_public, fetch

PRIVATE_NETWORKS = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8", "::ffff:127.0.0.0/104", "::ffff:10.0.0.0/104",
    "2002:7f00::/24", "2002:0a00::/24", "64:ff9b::a00:0/120", "64:ff9b::7f00:0/104", "::7f00:0/104",
    "::ffff:0:a00:0/120",
]  # fmt: skip


@st.composite
def private_addresses(draw):
    network = ipaddress.ip_network(draw(st.sampled_from(PRIVATE_NETWORKS)))
    return network[draw(st.integers(min_value=0, max_value=network.num_addresses - 1))]


@given(private_addresses())
def test_no_private_loopback_link_local_or_reserved_address_is_public(address):
    assert not address_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "1.1.1.1", "::ffff:8.8.8.8"])
def test_public_addresses_are(address):
    assert address_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://social.example/inbox", "only https"),
        ("ftp://social.example/inbox", "only https"),
        ("file:///etc/passwd", "only https"),
        ("https://user:pw@social.example/inbox", "no plain host"),
        ("https:///inbox", "no plain host"),
        ("https://social.example:99999/", "not a port"),
        ("https://127.0.0.1/", "not a public address"),
        ("https://[::1]/", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://localhost/", "not a public address"),
    ],
)
def test_refused_before_anything_is_sent(settings, url, says):
    settings.FEDERATION_ALLOW_PRIVATE = False
    with pytest.raises(FetchRefused, match=says):
        fetch(url)


def test_a_name_resolving_to_any_private_address_is_refused(settings, monkeypatch):
    settings.FEDERATION_ALLOW_PRIVATE = False
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))]  # fmt: skip
    monkeypatch.setattr(fetching.socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(FetchRefused):
        fetch("https://rebind.example/inbox")


def test_the_address_checked_is_the_one_connected_to(settings, monkeypatch):
    """A second lookup (DNS rebinding) never happens: the connection goes to the checked address."""
    settings.FEDERATION_ALLOW_PRIVATE = False
    lookups, connected = [], []
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]

    def resolve(*args, **kwargs):
        lookups.append(args[0])
        return public

    def connect(address, timeout=None, *args, **kwargs):
        connected.append(address[0])
        raise OSError("no network in this test")

    monkeypatch.setattr(fetching.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(fetching.socket, "create_connection", connect)
    with pytest.raises(FetchFailed):
        fetch("https://social.example/inbox")
    assert lookups == ["social.example"] and connected == ["93.184.215.14"]


class _Server:
    def __init__(self, body=b"{}", status=200, length=None):
        outer = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                size = int(self.headers.get("Content-Length", 0))
                outer.requests.append((self.path, dict(self.headers), self.rfile.read(size)))
                self.do_GET()

            def do_GET(self):
                self.send_response(status)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def server():
    made = []

    def make(**kwargs):
        made.append(_Server(**kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_with_private_allowed_a_loopback_server_is_reached(settings, server):
    settings.FEDERATION_ALLOW_PRIVATE = True
    inbox = server(body=b'{"ok": true}', status=202)
    got = fetch(inbox.url + "/inbox/?x=1", method="POST", headers={"Content-Type": "application/json"}, body=b"{}")
    assert (got.status, got.body) == (202, b'{"ok": true}')
    assert inbox.requests[0][0] == "/inbox/?x=1" and inbox.requests[0][2] == b"{}"


def test_an_answer_past_the_cap_is_not_read(settings, server):
    settings.FEDERATION_ALLOW_PRIVATE = True
    big = server(body=b"x" * 5000)
    with pytest.raises(FetchFailed, match="more than"):
        fetch(big.url, max_bytes=1000)
    lying = server(body=b"x" * 5000, length=10)  # Says 10 bytes: only those are read.
    assert fetch(lying.url, max_bytes=1000).body == b"x" * 10


def test_a_silent_server_times_out(settings):
    settings.FEDERATION_ALLOW_PRIVATE = True
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        with pytest.raises(FetchFailed):
            fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.5)
    finally:
        listener.close()


def test_a_server_sending_a_byte_now_and_then_is_cut_off_at_the_deadline(settings):
    settings.FEDERATION_ALLOW_PRIVATE = True
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def dribble():
        connection, _ = listener.accept()
        connection.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            if stop.is_set():
                break
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                break
            stop.wait(0.2)
        connection.close()

    threading.Thread(target=dribble, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchFailed):
            fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=1.0)
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 3
