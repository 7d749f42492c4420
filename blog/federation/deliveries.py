"""The fediverse's delivery kind: an activity owed to an inbox, sent as a signed POST by the one sender."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings

from blog.federation.reconcile import fediverse_reconcile
from blog.models import ActivityDelivery
from site.registry import DeliveryKind, Priority, RetryPolicy
from site.transports import SIGNED_POST, SignedPost


def server_bucket(inbox: str) -> str:
    """The pace bucket of an inbox's server (a digest of a name too long to keep as it is)."""
    server = urlsplit(inbox).netloc.lower()
    return f"fediverse:{server if len(server) <= 250 else hashlib.sha256(server.encode()).hexdigest()}"


def activity_render(row: ActivityDelivery) -> SignedPost:
    return SignedPost(
        inbox=row.inbox,
        body=row.activity.encode(),
        key_id=row.actor.key_id,
        private_key_pem=row.actor.private_key_pem,
    )


ACTIVITY = DeliveryKind(
    name="activity",
    model=ActivityDelivery,
    owed=ActivityDelivery.objects.owed,
    related=("actor__user",),
    render=activity_render,
    transport=SIGNED_POST,
    # A follower waits for its Accept as a reader waits for a confirmation; posts are bulk behind it.
    priority=Priority.TEAM,
    # Each server its own pace, so one big instance is never flooded and a slow one holds back no other.
    rate_bucket=lambda message: server_bucket(message.inbox),
    rate=lambda: settings.FEDERATION_HOST_MAX_PER_SECOND,
    # A minute, then doubling to six hours between tries; the reconciler keeps it owed for ACTIVITY_OWED_DAYS.
    retry=RetryPolicy(base_seconds=60, cap_seconds=6 * 3600, budget=12),
    batch_size=20,
    discover=fediverse_reconcile,
)
