"""
What the fediverse reads, as JSON (ActivityStreams 2.0, as Mastodon reads
it): the actor, its outbox of Create{Article}, WebFinger and NodeInfo. Pure:
the views look up what goes in.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse

from blog.feeds import absolute_links
from blog.models import Actor, Post
from site.text import xml_chars_only

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
OUTBOX_PAGE_SIZE = 20


def wants_activity_json(accept: str) -> bool:
    """An Accept header asking for ActivityStreams (either of the two types servers send) before HTML."""
    for part in accept.split(","):
        kind, _, parameters = part.strip().partition(";")
        kind = kind.strip().lower()
        if kind == ACTIVITY_JSON or (kind == "application/ld+json" and "activitystreams" in parameters):
            return True
        if kind in ("text/html", "application/xhtml+xml"):
            return False
    return False


def site_host() -> str:
    """The host in every handle here (@handle@host): SITE_URL's, with its port if it has one."""
    return urlsplit(settings.SITE_URL).netloc.lower()


def local_route(uri: object, view_name: str) -> dict | None:
    """The arguments of the site's own address `uri` if it is a `view_name` page, else None."""
    if not isinstance(uri, str) or not uri.startswith(settings.SITE_URL + "/"):
        return None
    try:
        match = resolve(urlsplit(uri).path)
    except Resolver404:
        return None
    return match.kwargs if match.view_name == view_name else None


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def actor_document(actor: Actor, *, icon_url: str = "") -> dict:
    user = actor.user
    document = {
        "@context": CONTEXT,
        "id": actor.uri,
        "type": "Person",
        "preferredUsername": actor.handle,
        "name": user.public_name,
        "summary": xml_chars_only(user.bio),
        "url": actor.uri,
        "inbox": _absolute(reverse("blog:actor-inbox", kwargs={"pk": user.pk})),
        "outbox": _absolute(reverse("blog:actor-outbox", kwargs={"pk": user.pk})),
        "followers": _absolute(reverse("blog:actor-followers", kwargs={"pk": user.pk})),
        "endpoints": {"sharedInbox": _absolute(reverse("blog:shared-inbox"))},
        "manuallyApprovesFollowers": actor.approves_follows,
        "discoverable": True,
        "publicKey": {"id": actor.key_id, "owner": actor.uri, "publicKeyPem": actor.public_key_pem},
    }
    if icon_url:
        document["icon"] = {"type": "Image", "url": icon_url}
    return document


def article(post: Post, actor: Actor) -> dict:
    url = _absolute(post.get_absolute_url())
    article = {
        "id": url,
        "type": "Article",
        "name": post.title,
        "summary": post.excerpt,
        "content": absolute_links(xml_chars_only(post.content_html), url),
        "url": url,
        "attributedTo": actor.uri,
        "published": post.published_at.isoformat(timespec="seconds") if post.published_at else None,
        "to": [PUBLIC],
        "cc": [_absolute(reverse("blog:actor-followers", kwargs={"pk": actor.user_id}))],
        "tag": [
            {"type": "Hashtag", "name": f"#{tag.name}", "href": _absolute(tag.get_absolute_url())}
            for tag in post.tag_list
        ],
    }
    if post.updated_at and post.published_at and post.updated_at > post.published_at:
        article["updated"] = post.updated_at.isoformat(timespec="seconds")
    return article


def _stamp(moment: object) -> str:
    return str(int(moment.timestamp())) if hasattr(moment, "timestamp") else "0"


def _activity_id(actor: Actor, kind: str, url: str, *stamps: object) -> str:
    """
    An activity's id: under its actor, naming its object by a digest of the
    object's address (a post's address, percent-encoded, can be long; an id
    is kept in 255 characters), and when.
    """
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"{actor.uri}#{kind}/{digest}-" + "-".join(_stamp(stamp) for stamp in stamps)


def create_activity(post: Post, actor: Actor, *, again_at: object = None) -> dict:
    """
    The Create of a post: its id is stable for this publication (the post's
    address, #create and when it was published), so it is sent, and read,
    once; published again after an unpublish, it is a new one. `again_at`
    stamps a Create of the same publication sent again (its author back
    from a suspension), which must not be taken for the first.
    """
    body = article(post, actor)
    return {
        "@context": CONTEXT[0],
        "id": _activity_id(actor, "create", body["id"], post.published_at, *([again_at] if again_at else [])),
        "type": "Create",
        "actor": actor.uri,
        "published": body["published"],
        "to": body["to"],
        "cc": body["cc"],
        "object": body,
    }


def outbox_collection(actor: Actor, *, total: int) -> dict:
    outbox = _absolute(reverse("blog:actor-outbox", kwargs={"pk": actor.user_id}))
    return {
        "@context": CONTEXT,
        "id": outbox,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{outbox}?page=1",
        "last": f"{outbox}?page={max(1, -(-total // OUTBOX_PAGE_SIZE))}",
    }


def outbox_page(actor: Actor, *, posts: list[Post], page: int, more: bool) -> dict:
    outbox = _absolute(reverse("blog:actor-outbox", kwargs={"pk": actor.user_id}))
    document = {
        "@context": CONTEXT,
        "id": f"{outbox}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": outbox,
        "orderedItems": [create_activity(post, actor) for post in posts],
    }
    if page > 1:
        document["prev"] = f"{outbox}?page={page - 1}"
    if more:
        document["next"] = f"{outbox}?page={page + 1}"
    return document


def followers_collection(actor: Actor, *, total: int) -> dict:
    """Its size only: who follows an author is theirs to know, not the world's."""
    return {
        "@context": CONTEXT,
        "id": _absolute(reverse("blog:actor-followers", kwargs={"pk": actor.user_id})),
        "type": "OrderedCollection",
        "totalItems": total,
    }


def webfinger(actor: Actor, *, host: str) -> dict:
    return {
        "subject": f"acct:{actor.handle}@{host}",
        "aliases": [actor.uri],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor.uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor.uri},
        ],
    }


def update_activity(post: Post, actor: Actor) -> dict:
    """An edit of a public post: one Update per saved version (its id names the time of the edit)."""
    body = article(post, actor)
    return {
        "@context": CONTEXT[0],
        "id": _activity_id(actor, "update", body["id"], post.updated_at),
        "type": "Update",
        "actor": actor.uri,
        "to": body["to"],
        "cc": body["cc"],
        "object": body,
    }


def delete_activity(*, url: str, actor: Actor, at: object) -> dict:
    """A post no longer public (unpublished or deleted): a Tombstone in its place."""
    return {
        "@context": CONTEXT[0],
        "id": _activity_id(actor, "delete", url, at),
        "type": "Delete",
        "actor": actor.uri,
        "to": [PUBLIC],
        "object": {"id": url, "type": "Tombstone"},
    }
