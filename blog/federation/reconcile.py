"""
The fediverse kind's part of the one reconciler (its `discover`, run every
minute by the consumer): posts that became public, or stopped being public,
outside a service that owes their activity there and then (a post
scheduled again whose time came, an author suspended or reactivated, a
consumer that died between the write and the owing); followers whose
servers have not taken anything for ACTIVITY_OWED_DAYS; and inbox activity
ids old enough to forget.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from blog.federation.owing import post_activity_rows_owe
from blog.models import ACTIVITY_OWED_DAYS, INBOX_REMEMBERS_DAYS, ActivityDelivery, Follower, InboxActivity, Post

logger = logging.getLogger(__name__)

# Posts looked at per run: a suspended author with thousands of posts is withdrawn over a few minutes.
POSTS_PER_RUN = 200


def followers_unreachable_mark() -> int:
    """
    Give up on the followers whose inbox took nothing for ACTIVITY_OWED_DAYS:
    a delivery to it ran out of time in the last day, and nothing sent to it
    went through since. No more is owed to them until their server is heard
    from (blog.federation.services.follower_heard_from). How many were marked.
    """
    now = timezone.now()
    cutoff = now - timedelta(days=ACTIVITY_OWED_DAYS)
    expired = (
        # Ran out of time, not refused: one activity a server refuses for good says nothing of its inbox.
        ActivityDelivery.objects.filter(sent_at__isnull=True, failed_at__isnull=True, created_at__lte=cutoff)
        .filter(created_at__gt=cutoff - timedelta(days=1))
        .values_list("inbox", flat=True)
        .distinct()
    )
    gone = [inbox for inbox in expired if not ActivityDelivery.objects.filter(inbox=inbox, sent_at__gt=cutoff).exists()]
    if not gone:
        return 0
    return Follower.objects.reachable().at_inboxes(gone).update(unreachable_at=now)


def fediverse_reconcile() -> Iterator[list[int]]:
    """
    Owe what the services did not: the Delete of each post sent to followers
    whose author is no longer active, and the Create of each public post
    not yet sent. Yields the ids owed, batch by batch, for the reconciler to queue.
    """
    now = timezone.now()
    InboxActivity.objects.filter(received_at__lt=now - timedelta(days=INBOX_REMEMBERS_DAYS)).delete()
    followers_unreachable_mark()
    # Posts of authors nobody follows (or all of them, federation off) are done in one statement.
    awaiting = Post.objects.awaiting_fediverse()
    if settings.FEDERATION_ENABLED:
        awaiting = awaiting.exclude(author__in=Follower.objects.reachable().values("actor__user"))
    awaiting.update(fediverse_owed_at=now)
    for change, posts in (
        ("delete", Post.objects.withdrawn_from_fediverse()),
        ("create", Post.objects.awaiting_fediverse()),
    ):
        for post in posts.order_by("pk")[:POSTS_PER_RUN]:
            try:
                owed = post_activity_rows_owe(post=post, change=change)
            except DatabaseError:
                # One post that cannot be owed must not stop the rest, nor the kinds reconciled after this one.
                logger.exception(
                    "could not owe the fediverse the %s of post %s; the next run tries again", change, post.pk
                )
                continue
            if owed:
                yield owed
