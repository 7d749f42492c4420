"""
The one way the server fetches or posts to an address someone else chose
(a follower's inbox, an actor's key): https only, to public addresses only,
with the address checked being the one connected to (a name that resolves
to a public address when checked and a private one when connected, DNS
rebinding, cannot slip through), timeouts, no redirects followed, and a cap
on what is read. FEDERATION_ALLOW_PRIVATE=1 lifts the address rules for tests
and LANs.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Neither public nor anyone's to reach from here: Python's is_global leaves these to us.
_NOT_PUBLIC = [ipaddress.ip_network(net) for net in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4")]
# IPv6 addresses that carry an IPv4 one in their last 32 bits (NAT64, IPv4-compatible and -translated).
_CARRY_IPV4 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")]


class FetchRefused(Exception):
    """The address may not be fetched (not https, not public, not a plain host): nothing was sent."""


class FetchFailed(Exception):
    """The fetch was tried and did not complete: no connection, a timeout, an answer too large."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]  # Names in lower case.
    body: bytes


def address_public(address: IPAddress) -> bool:
    """An address anyone on the internet has: not private, loopback, link-local, shared, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and any(address in network for network in _CARRY_IPV4):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # NAT64, or IPv4-compatible: its last 32 bits.
        if embedded is not None:
            return address_public(embedded)
    if not address.is_global or address.is_multicast:
        return False
    return not any(address in network for network in _NOT_PUBLIC)


def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"{host} does not resolve: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the one address that was checked, its certificate checked for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    max_bytes: int = 1_000_000,
    timeout: float = 10.0,
) -> Fetched:
    """
    One request, answered or not within `timeout` (each step, and reading
    in all). FetchRefused before anything is sent for an address the rules
    refuse; FetchFailed if it does not complete or answers more than `max_bytes`.
    """
    allow_private = settings.FEDERATION_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        plain = bool(parts.hostname) and parts.username is None and parts.password is None
    except ValueError as exc:
        raise FetchRefused("the address does not parse") from exc
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise FetchRefused(f"only https addresses are fetched, not {parts.scheme or 'none'}")
    if not plain or not parts.hostname:
        raise FetchRefused("the address names no plain host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused("the address's port is not a port") from exc
    addresses = _addresses(parts.hostname, port)
    if not addresses:
        raise FetchFailed(f"{parts.hostname} has no address")
    if not allow_private and not all(address_public(address) for address in addresses):
        raise FetchRefused(f"{parts.hostname} is not a public address")
    connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = connection_class(parts.hostname, str(addresses[0]), port, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    # A hard end to the whole exchange: each read's timeout alone lets a server
    # that sends a byte now and then hold the thread as long as it likes.
    cutoff = threading.Timer(timeout, _cut, args=(connection,))
    cutoff.daemon = True
    cutoff.start()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"the answer is {declared} bytes, more than {max_bytes}")
        chunks, size = [], 0
        while chunk := response.read(min(65536, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"the answer is more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchFailed(f"the answer took more than {timeout} s")
        return Fetched(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=b"".join(chunks),
        )
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if time.monotonic() >= deadline:
            raise FetchFailed(f"{parts.hostname}: no answer within {timeout} s") from exc
        raise FetchFailed(f"{parts.hostname}: {exc}") from exc
    finally:
        cutoff.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """The deadline passed: end the exchange wherever it is (a read in progress fails at once)."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
