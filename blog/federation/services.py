"""Making an author's actor: a handle from their name and a key pair, made before the short write that keeps them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from blog.federation import documents
from blog.federation.deliveries import ACTIVITY
from blog.federation.keys import key_pair_make
from blog.models import HANDLE_MAX_LENGTH, ActivityDelivery, Actor, BlockedDomain, Follower, Post, RemoteActor
from site.tasks import deliveries_queue_on_commit
from users import roles

if TYPE_CHECKING:
    from users.models import User

HANDLE = re.compile(rf"[a-z0-9_]{{1,{HANDLE_MAX_LENGTH}}}")


def handle_from(name: str, *, fallback: str) -> str:
    """A handle as Mastodon takes them (letters, digits, underscores) made from a name."""
    handle = slugify(name).replace("-", "_").strip("_")[:HANDLE_MAX_LENGTH]
    return handle if HANDLE.fullmatch(handle) else fallback


def actor_ensure(*, user: User) -> Actor:
    """
    The author's actor, made the first time the fediverse asks for it. Raises
    NotAllowed for an account that does not publish (nobody else is an actor).
    """
    if (found := Actor.objects.filter(user=user).first()) is not None:
        return found
    if not roles.may_publish(user):
        raise roles.NotAllowed(f"{user} publishes nothing")
    private_pem, public_pem = key_pair_make()  # CPU work: before the write.
    base = handle_from(user.public_name, fallback=f"author{user.pk}")
    for attempt in range(20):
        handle = base if attempt == 0 else f"{base[: HANDLE_MAX_LENGTH - 4]}_{attempt + 1}"
        try:
            with transaction.atomic():
                return Actor.objects.create(
                    user=user, handle=handle, public_key_pem=public_pem, private_key_pem=private_pem
                )
        except IntegrityError:
            if (found := Actor.objects.filter(user=user).first()) is not None:
                return found  # Made by a request beside this one.
    raise IntegrityError(f"no free handle for {user}")


def activity_owe(*, actor: Actor, activity: dict, inboxes: Iterable[str]) -> list[int]:
    """
    Owe `activity` (it has its id) to each inbox once: rows of the activity
    kind, sent signed as `actor` by the consumer when this transaction
    commits. An inbox owed it already is not owed it twice. The ids owed.
    """
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    wanted = sorted(inbox for inbox in set(inboxes) if not BlockedDomain.blocks_url(inbox))
    with transaction.atomic():
        ActivityDelivery.objects.bulk_create(
            [ActivityDelivery(actor=actor, inbox=inbox, activity=body, message_id=activity["id"]) for inbox in wanted],
            ignore_conflicts=True,
        )
        ids = list(
            ActivityDelivery.objects.undelivered()
            .filter(message_id=activity["id"], inbox__in=wanted)
            .values_list("pk", flat=True)
        )
        deliveries_queue_on_commit(kind=ACTIVITY, ids=ids)
    return ids


def domain_block(*, domain: str, reason: str = "") -> BlockedDomain:
    """Refuse a server from now on: its followers are dropped, and nothing is owed to it any more."""
    domain = domain.strip().lower().rstrip(".")
    with transaction.atomic():
        blocked, _ = BlockedDomain.objects.update_or_create(domain=domain, defaults={"reason": reason})
        for model, field in ((Follower, "remote_id"), (RemoteActor, "uri")):
            for row in model.objects.filter(**{f"{field}__icontains": domain}).only("pk", field):
                if BlockedDomain.blocks_url(getattr(row, field)):
                    row.delete()
        for delivery in ActivityDelivery.objects.undelivered().filter(inbox__icontains=domain).only("pk", "inbox"):
            if BlockedDomain.blocks_url(delivery.inbox):
                delivery.delete()
    return blocked


def post_activity_owe(*, post: Post, change: str, url: str = "") -> list[int]:
    """
    Owe a post's change to its author's followers, each server's shared
    inbox once: "create" (it became public), "update" (edited while public)
    or "delete" (no longer public; `url` its address, the post may be gone).
    Nothing while federation is off or before the author has followers.
    """
    if not settings.FEDERATION_ENABLED:
        return []
    actor = Actor.objects.filter(user_id=post.author_id).select_related("user").first()
    if actor is None:
        return []
    inboxes = {follower.shared_inbox or follower.inbox for follower in actor.followers.only("inbox", "shared_inbox")}
    if not inboxes:
        return []
    if change == "create":
        activity = documents.create_activity(post, actor)
    elif change == "update":
        activity = documents.update_activity(post, actor)
    else:
        activity = documents.delete_activity(
            url=url or settings.SITE_URL + post.get_absolute_url(), actor=actor, at=timezone.now()
        )
    return activity_owe(actor=actor, activity=activity, inboxes=inboxes)
