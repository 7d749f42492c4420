"""Request helpers shared by both apps."""

import ipaddress

from django.conf import settings
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from site.throttles import Throttled


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


def throttled_answer(response: HttpResponse, throttled: Throttled) -> HttpResponse:
    """Every refusal by a rate limit: 429, and when to come back."""
    response.status_code = 429
    response["Retry-After"] = str(throttled.retry_after)
    return response


def too_many_requests(
    request: HttpRequest,
    throttled: Throttled,
    message: str,
    *,
    template: str = "429.html",
    context: dict | None = None,
    form: Form | None = None,
) -> HttpResponse:
    """Answer 429 with how long to wait: on the form's own page when there is one."""
    text = f"{message} Please try again in {throttled.wait_text}."
    if form is not None:
        form.add_error(None, text)
    return throttled_answer(render(request, template, {**(context or {}), "form": form, "message": text}), throttled)
