"""Request helpers shared by both apps."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """
    The client's address. Behind the configured reverse proxy that is the
    last X-Forwarded-For entry (the one our proxy appended; anything left of
    it came from the client and can be forged); otherwise the socket's peer.
    """
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return request.META.get("REMOTE_ADDR", "")[:64] or "unknown"


def client_key(request: HttpRequest) -> str:
    """
    Who the client is, for per-client limits: its IPv4 address, or the /64
    of its IPv6 address, since one home connection gets a whole /64 and can
    pick a new address for every request.
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
