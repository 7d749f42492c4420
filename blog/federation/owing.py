"""
Activities owed to inboxes, as rows of the fediverse's delivery kind: the
services owe them (and queue their sends), and so does the reconciler for
what the services could not see (blog/federation/reconcile.py).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from blog.federation import documents
from blog.models import ActivityDelivery, Actor, BlockedDomain, Post


def _interleaved(inboxes: Iterable[str]) -> list[str]:
    """
    The inboxes one server at a time in turn (a, b, c, a, b, c…): rows are
    sent in batches of consecutive ids, and each server has its own pace, so
    a batch of one server's twenty inboxes would wait out that pace alone.
    """
    by_server: dict[str, list[str]] = {}
    for inbox in sorted(inboxes):
        by_server.setdefault(urlsplit(inbox).netloc.lower(), []).append(inbox)
    turns = itertools.zip_longest(*by_server.values())
    return [inbox for turn in turns for inbox in turn if inbox is not None]


def activity_rows_owe(*, actor: Actor, activity: dict, inboxes: Iterable[str]) -> list[int]:
    """
    Owe `activity` (it has its id) to each inbox once: rows of the activity
    kind, sent signed as `actor`, unless its server is blocked. An inbox owed
    it already is not owed it twice. The ids owed, for the caller to queue.
    """
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    wanted = _interleaved(inbox for inbox in set(inboxes) if not BlockedDomain.blocks_url(inbox))
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
    return ids


def post_activity_rows_owe(*, post: Post, change: str, url: str = "") -> list[int]:
    """
    Owe a post's change to its author's followers, each server's shared
    inbox once: "create" (it became public), "update" (edited while public)
    or "delete" (no longer public; `url` its address, the post may be gone).
    A Create is owed once per time the post becomes public (the post keeps
    when: Post.fediverse_owed_at), a Delete only for a post that was sent,
    and an Update of one never sent is its Create. Nothing is sent while
    federation is off or before the author has followers. The ids owed.
    """
    was_sent = Post.objects.filter(pk=post.pk, fediverse_owed_at__isnull=False).exists()
    if change == "delete" and not was_sent:
        return []  # Never sent: there is nothing to delete.
    edit = change == "update"
    if edit and not was_sent:
        change = "create"
    actor = Actor.objects.filter(user_id=post.author_id).select_related("user").first()
    inboxes: set[str] = set()
    if settings.FEDERATION_ENABLED and actor is not None:
        followers = actor.followers.reachable().only("inbox", "shared_inbox")
        inboxes = {follower.shared_inbox or follower.inbox for follower in followers}
    activity: dict = {}
    update: dict = {}
    if inboxes and actor is not None:  # The document is made before the write.
        if change == "create":
            activity = documents.create_activity(post, actor)
            if ActivityDelivery.objects.filter(message_id=activity["id"]).exists():
                activity = documents.create_activity(post, actor, again_at=timezone.now())
            if edit:  # Should the reconciler owe the Create first (of the text before this edit): this edit's Update.
                update = documents.update_activity(post, actor)
        elif change == "update":
            activity = documents.update_activity(post, actor)
        else:
            at = timezone.now()
            activity = documents.delete_activity(
                url=url or settings.SITE_URL + post.get_absolute_url(), actor=actor, at=at
            )
    with transaction.atomic():
        # Each change is owed once, whoever else (a request, the reconciler) is owing it beside this one.
        if change == "create":
            if not Post.objects.filter(pk=post.pk, fediverse_owed_at__isnull=True).update(
                fediverse_owed_at=timezone.now()
            ):
                if not edit or not activity:
                    return []
                activity = update
        elif change == "delete":
            # Public again later, it is a Create again.
            if not Post.objects.filter(pk=post.pk, fediverse_owed_at__isnull=False).update(fediverse_owed_at=None):
                return []
        if not activity or actor is None:
            return []
        return activity_rows_owe(actor=actor, activity=activity, inboxes=inboxes)
