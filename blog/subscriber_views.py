"""
Readers subscribing to an author's new posts (the form on the author page),
or to every author's (the form on the front page):
the confirmation link (double opt-in) and the one-click unsubscribe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from blog import services
from blog.forms import SubscribeForm
from blog.models import Subscriber, authors
from site import unsubscribe
from site.addresses import mailbox_key
from site.http import client_key, too_many_requests
from site.models import site_settings
from site.throttles import Limit, Throttled, throttle_hit
from site.unsubscribe import OneClick, one_click_view

if TYPE_CHECKING:
    from users.models import User

# As for signup: a client may ask for a few addresses an hour, and an
# address is mailed a few confirmation links an hour at most, whoever asks.
SUBSCRIBE_PER_IP = Limit("subscribe:ip", 10, 3600)
SUBSCRIBE_PER_EMAIL = Limit("subscribe:email", 3, 3600)


def _from_this_site(request: HttpRequest) -> bool:
    """
    Whether the browser says the form was posted from this site's own page:
    the checks of Django's CSRF middleware that need no token (Origin, else
    Referer, on this site; Sec-Fetch-Site same-origin when sent).
    """
    ours = {urlsplit(settings.SITE_URL)[:2], (request.scheme, request.get_host())}
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    source = request.headers.get("Origin") or request.headers.get("Referer")
    try:
        return source is None or urlsplit(source)[:2] in ours
    except ValueError:  # Not an address at all (http://[, say).
        return False


# No CSRF token: the form is on author pages every anonymous reader gets from
# the page cache (site/pages.py), where no one's token may be kept. What the
# browser says of where the form was posted from is checked instead, and a
# forged submission could only ask for a confirmation mail, within the
# per-address limit.
@csrf_exempt
@require_POST
def subscriber_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _subscribe(request, get_object_or_404(authors(), pk=pk))


# The whole site: every author's new posts (the form on the front page).
@csrf_exempt
@require_POST
def site_subscriber_create(request: HttpRequest) -> HttpResponse:
    return _subscribe(request, None)


def _subscribe(request: HttpRequest, author: User | None) -> HttpResponse:
    if not _from_this_site(request):
        raise PermissionDenied("A subscription is made from this site's own form.")
    form = SubscribeForm(request.POST)
    context = {"author": author, "form": form}
    if not form.is_valid():
        return render(request, "blog/subscriber_form.html", context, status=400)
    email = form.cleaned_data["email"]
    try:
        throttle_hit((SUBSCRIBE_PER_IP, client_key(request)), (SUBSCRIBE_PER_EMAIL, mailbox_key(email)))
    except Throttled as throttled:
        return too_many_requests(
            request,
            throttled,
            "Too many subscriptions from here.",
            template="blog/subscriber_form.html",
            context=context,
            form=form,
        )
    services.subscriber_add(author=author, email=email)
    # The same answer whether the address was new, waiting or subscribed already.
    return render(request, "blog/subscriber_pending.html", {"author": author, "email": email})


# No CSRF token: the link's signed token is the whole authorisation, and a
# mail app's built-in browser often has no cookie from this site.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def subscriber_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners follow links), POST confirms."""
    try:
        if request.method != "POST":
            # The mail names nobody (an address anyone typed gets it); this page says whose posts.
            subscriber = services.subscriber_to_confirm(token=token)
            return render(request, "blog/subscriber_confirm.html", {"state": "ask", "author": subscriber.author})
        subscriber = services.subscriber_confirm(token=token)
    except services.SubscriptionLinkInvalid:
        return render(request, "blog/subscriber_confirm.html", {"state": "invalid"}, status=400)
    return render(request, "blog/subscriber_confirm.html", {"state": "done", "author": subscriber.author})


def _subscriber_describe(subscriber_id: int) -> str | None:
    subscriber = (
        Subscriber.objects.select_related("author").filter(pk=subscriber_id, unsubscribed_at__isnull=True).first()
    )
    if subscriber is None:
        return None
    whose = f"by {subscriber.author.public_name}" if subscriber.author else f"on {site_settings().title}"
    return f"new posts {whose} (to {subscriber.email})"


subscriber_unsubscribe = one_click_view(
    OneClick(
        kind=unsubscribe.NEW_POSTS,
        describe=_subscriber_describe,
        stop=lambda subscriber_id: services.subscriber_unsubscribe(subscriber_id=subscriber_id),
    )
)
