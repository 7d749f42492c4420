"""Authors as the fediverse sees them: an actor each, with its key pair, and who follows it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from site.delivery import Delivery, DeliveryQuerySet

HANDLE_MAX_LENGTH = 30


class Actor(models.Model):
    """
    An author as an ActivityPub actor (a Person): the handle readers type
    (@handle@host) and an RSA key pair whose private half never leaves this
    server (it signs what the site sends; blog/federation/keys.py).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="actor")
    handle = models.CharField(max_length=HANDLE_MAX_LENGTH, unique=True)
    public_key_pem = models.TextField(editable=False)
    private_key_pem = models.TextField(editable=False)
    approves_follows = models.BooleanField(
        "approve followers by hand",
        default=False,
        db_default=False,
        help_text="Each follow request waits for the author's approval on their dashboard.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["handle"]

    def __str__(self) -> str:
        return f"@{self.handle}"

    def get_absolute_url(self) -> str:
        return self.user.get_absolute_url()

    @property
    def uri(self) -> str:
        """Its id, the author's page: a reader's browser gets the page, a server the actor (by Accept)."""
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def key_id(self) -> str:
        return self.uri + "#main-key"

    @property
    def handle_settled(self) -> bool:
        """Once anyone has followed, servers elsewhere know @handle: it no longer changes."""
        return self.followers.exists() or self.deliveries.exists()


class FollowerQuerySet(models.QuerySet):
    def of(self, author: models.Model) -> FollowerQuerySet:
        """Who follows `author` (an account) from the fediverse, or asked to."""
        return self.filter(actor__user=author)

    def accepted(self) -> FollowerQuerySet:
        return self.filter(accepted_at__isnull=False)

    def pending(self) -> FollowerQuerySet:
        """Follow requests waiting for the author's approval."""
        return self.filter(accepted_at__isnull=True)

    def reachable(self) -> FollowerQuerySet:
        """Accepted, and its server not given up on: where a post is delivered."""
        return self.accepted().filter(unreachable_at__isnull=True)

    def at_inboxes(self, inboxes: list[str]) -> FollowerQuerySet:
        return self.filter(models.Q(inbox__in=inboxes) | models.Q(shared_inbox__in=inboxes))


class Follower(models.Model):
    """A remote actor following an author: where the author's posts are delivered (its inbox, or its server's)."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="followers")
    remote_id = models.URLField("follower", max_length=500)
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True, default="")
    # The Follow's id, answered by the Accept (or Reject) the author sends.
    follow_id = models.URLField(max_length=500, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Unset while the request waits for the author's approval.
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when nothing reached its inbox for ACTIVITY_OWED_DAYS: no more is sent
    # until its server is heard from again (it signs a request to us).
    unreachable_at = models.DateTimeField(null=True, blank=True)

    objects = FollowerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["actor", "remote_id"], name="blog_follower_once")]

    def __str__(self) -> str:
        return f"{self.remote_id} follows {self.actor}"

    def get_absolute_url(self) -> str:
        return self.remote_id


# An activity not delivered in this long (its inbox down, refusing, or gone)
# is no longer owed: the reconciler stops trying it.
ACTIVITY_OWED_DAYS = 3


class ActivityDeliveryQuerySet(DeliveryQuerySet):
    def owed(self) -> ActivityDeliveryQuerySet:
        """Undelivered, and young enough to be worth trying (retried with backoff meanwhile)."""
        return self.undelivered().filter(created_at__gt=timezone.now() - timedelta(days=ACTIVITY_OWED_DAYS))


class ActivityDelivery(Delivery):
    """
    One activity (an Accept, a Create…) owed once to one inbox, signed as
    its actor when sent. Its id (message_id) is the activity's own: a retry
    is the same activity to the receiver.
    """

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="deliveries")
    inbox = models.URLField(max_length=500)
    activity = models.TextField(help_text="The activity's JSON, as sent.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ActivityDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_id", "inbox"], name="blog_activitydelivery_once_per_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} to {self.inbox}"

    def get_absolute_url(self) -> str:
        return self.actor.get_absolute_url()


class RemoteActor(models.Model):
    """
    A remote actor as last fetched (a follower, a signer): its public key,
    kept so each signed request does not fetch it again, and fetched once
    more when a signature fails (the key may have been rotated).
    """

    uri = models.URLField("actor", max_length=500, unique=True)
    key_id = models.URLField(max_length=500, unique=True)
    public_key_pem = models.TextField()
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True, default="")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uri"]

    def __str__(self) -> str:
        return self.uri

    def get_absolute_url(self) -> str:
        return self.uri


class BlockedDomain(models.Model):
    """A server whose requests are refused and whose followers are dropped (an Administrator's choice)."""

    domain = models.CharField(max_length=253, unique=True, help_text="example.social: its subdomains too.")
    reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def get_absolute_url(self) -> str:
        return f"https://{self.domain}/"

    def covers(self, url: str) -> bool:
        try:
            host = (urlsplit(url).hostname or "").rstrip(".")
        except ValueError:
            return False
        return host == self.domain or host.endswith("." + self.domain)

    @classmethod
    def blocks(cls, host: str) -> bool:
        host = host.lower().rstrip(".")
        parts = host.split(".")
        candidates = {".".join(parts[i:]) for i in range(len(parts))}
        return cls.objects.filter(domain__in=candidates).exists()

    @classmethod
    def blocks_url(cls, url: str) -> bool:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # Not an address at all: nothing to block, and nothing will be fetched from it.
            return False
        return cls.blocks(host)


# Activity ids taken by the inbox are remembered this long: a server's retry
# (or a replay) of one already acted on changes nothing.
INBOX_REMEMBERS_DAYS = 7


class InboxActivity(models.Model):
    """An activity the inbox acted on, by its id: taken once however often it arrives."""

    activity_id = models.URLField(max_length=500, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "inbox activities"

    def __str__(self) -> str:
        return self.activity_id

    def get_absolute_url(self) -> str:
        return self.activity_id


class ReactionQuerySet(models.QuerySet):
    def counts_by_post(self, post_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Each post's (likes, boosts), in one grouped query."""
        rows = self.filter(post_id__in=post_ids).values("post_id", "kind").annotate(total=models.Count("id"))
        counts: dict[int, list[int]] = {}
        for row in rows:
            counts.setdefault(row["post_id"], [0, 0])[row["kind"] == "boost"] += row["total"]
        return {pk: (likes, boosts) for pk, (likes, boosts) in counts.items()}


class Reaction(models.Model):
    """A like or boost of a post from the fediverse, counted once per remote actor on the author's dashboard."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        BOOST = "boost", "Boost"

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    remote_actor = models.URLField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "kind", "remote_actor"], name="blog_reaction_once_per_actor")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.post_id} by {self.remote_actor}"

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()
