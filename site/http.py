"""Request helpers shared by both apps."""

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
