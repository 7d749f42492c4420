"""Versions of a post's text set aside: what a writer saved over on purpose when two tabs or two people disagreed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from blog.models.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Post

# A post keeps this many set-aside versions; older ones go as a new one comes.
VERSIONS_KEPT = 10


class PostVersion(models.Model):
    """
    The text a post had when a writer chose to save theirs over it (the
    editor showed them both): kept, so neither side of a conflict is lost.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="versions")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    content = models.TextField(max_length=CONTENT_MAX_LENGTH)
    revision = models.PositiveIntegerField()
    saved_at = models.DateTimeField(help_text="When this version was saved.")
    set_aside_at = models.DateTimeField(default=timezone.now)
    set_aside_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-set_aside_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (revision {self.revision}, set aside {self.set_aside_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("blog:post-edit", kwargs={"slug": self.post.slug}) + f"#version-{self.pk}"
