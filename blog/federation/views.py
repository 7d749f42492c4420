"""
The fediverse's addresses: WebFinger, NodeInfo, an author's actor (their
page, asked for as ActivityStreams), outbox and followers. All 404 unless
FEDERATION_ENABLED.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from blog.federation import documents
from blog.federation.inbox import INBOX_MAX_BYTES, InboxRefused, inbox_receive
from blog.federation.services import HANDLE, actor_ensure
from blog.models import Actor, Post
from site.http import client_key
from site.models import site_settings
from site.throttles import Limit, Throttled, throttle_hit
from users import roles

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]
JRD = "application/jrd+json"


def federated(view: View) -> View:
    """Answer only while federation is on; otherwise every address is a 404, as if it did not exist."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not settings.FEDERATION_ENABLED:
            raise Http404("Federation is off.")
        return view(request, *args, **kwargs)

    return wrapped


def activity_json(document: dict, *, content_type: str = documents.ACTIVITY_JSON) -> JsonResponse:
    response = JsonResponse(document, content_type=content_type, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    return response


def actor_of(pk: int) -> Actor:
    """The actor of an active account that publishes; Http404 for anyone else."""
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not roles.may_publish(user):
        raise Http404("No such author.")
    return actor_ensure(user=user)


@require_safe
@federated
def webfinger(request: HttpRequest) -> HttpResponse:
    resource = request.GET.get("resource", "").strip()
    if not resource:
        return JsonResponse({"error": "Ask for a resource: acct:handle@host."}, status=400)
    actor = None
    if resource.lower().startswith("acct:"):
        handle, _, host = resource[5:].lstrip("@").rpartition("@")
        if host.lower() == documents.site_host() and HANDLE.fullmatch(handle.lower()):
            actor = Actor.objects.filter(handle=handle.lower()).select_related("user").first()
    elif (kwargs := documents.local_route(resource, "blog:author-detail")) is not None:
        actor = Actor.objects.select_related("user").filter(user_id=kwargs["pk"]).first()
    if actor is None or not actor.user.is_active or not roles.may_publish(actor.user):
        return JsonResponse({"error": "No such account here."}, status=404)
    return activity_json(documents.webfinger(actor, host=documents.site_host()), content_type=JRD)


def actor(request: HttpRequest, pk: int) -> HttpResponse:
    """The author page asked for as ActivityStreams (blog.views.AuthorDetailView hands it here)."""
    found = actor_of(pk)
    return activity_json(documents.actor_document(found, icon_url=_icon()))


def _icon() -> str:
    """The site's icon, for every actor (an author's own picture is not a thing the site keeps)."""
    if not (name := site_settings().icon):
        return ""
    url = settings.MEDIA_URL + name
    return settings.SITE_URL + url if url.startswith("/") else url


@require_safe
@federated
def outbox(request: HttpRequest, pk: int) -> HttpResponse:
    found = actor_of(pk)
    posts = Post.objects.published().by(found.user).select_related("author").order_by("-published_at", "-id")
    pages = Paginator(posts, documents.OUTBOX_PAGE_SIZE)
    if "page" not in request.GET:
        return activity_json(documents.outbox_collection(found, total=pages.count))
    try:
        number = int(request.GET["page"])
    except ValueError:
        return JsonResponse({"error": "A page is a number."}, status=400)
    if not 1 <= number <= max(pages.num_pages, 1):
        raise Http404("No such page.")
    page = pages.page(number)
    return activity_json(documents.outbox_page(found, posts=list(page), page=number, more=page.has_next()))


@require_safe
@federated
def followers(request: HttpRequest, pk: int) -> HttpResponse:
    found = actor_of(pk)
    return activity_json(documents.followers_collection(found, total=found.followers.accepted().count()))


# Each remote server (by its address) gets this many deliveries a window; Mastodon sends a few per post.
INBOX_PER_HOST = Limit("inbox:host", 600, 600)


@federated
@csrf_exempt
@require_POST
def inbox(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Where remote servers deliver, per author or shared: a signed activity, checked, then acted on."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > INBOX_MAX_BYTES:
        return JsonResponse({"error": "The activity is too large."}, status=413)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers.setdefault("host", request.get_host())  # As the server saw it, if the client sent none.
    # Counted by the client's address, which the sender cannot choose (a keyId it can, before it is checked).
    host = client_key(request)
    try:
        throttle_hit((INBOX_PER_HOST, host))
    except Throttled as throttled:
        answer = JsonResponse({"error": "Too many deliveries."}, status=429)
        answer["Retry-After"] = str(throttled.retry_after)
        return answer
    try:
        taken = inbox_receive(method="POST", path=request.get_full_path(), headers=headers, body=request.body)
    except InboxRefused as refused:
        logger.info("inbox refused a delivery from %s: %s", host, refused)
        return JsonResponse({"error": "Not taken."}, status=refused.status)
    return JsonResponse({"taken": taken.kind}, status=202)


@require_safe
@federated
def nodeinfo_links(request: HttpRequest) -> HttpResponse:
    href = settings.SITE_URL + reverse("blog:nodeinfo")
    return JsonResponse({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": href}]})


@require_safe
@federated
def nodeinfo(request: HttpRequest) -> HttpResponse:
    site = site_settings()
    users = Actor.objects.filter(user__is_active=True).count()
    document = {
        "version": "2.1",
        "software": {"name": "quick_publisher", "version": settings.SOFTWARE_VERSION},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": site.registration == "open",
        "usage": {"users": {"total": users}, "localPosts": Post.objects.published().count()},
        "metadata": {"nodeName": site.title, "nodeDescription": site.description},
    }
    content_type = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    return JsonResponse(document, content_type=content_type)
