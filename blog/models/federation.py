"""Authors as the fediverse sees them: an actor each, with its key pair, and who follows it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

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


class Follower(models.Model):
    """A remote actor following an author: where the author's posts are delivered (its inbox, or its server's)."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="followers")
    remote_id = models.URLField("follower", max_length=500)
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["actor", "remote_id"], name="blog_follower_once")]

    def __str__(self) -> str:
        return f"{self.remote_id} follows {self.actor}"

    def get_absolute_url(self) -> str:
        return self.remote_id
