"""Mail about the review queue: a post submitted (to each Editor who wants it), and the decision (to its writer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, Q
from django.utils import timezone

from blog.models.posts import Post
from site.delivery import Delivery, DeliveryQuerySet
from users import roles

# How long a review mail is still worth sending.
REVIEW_MAIL_OWED_DAYS = 7


class ReviewMailQuerySet(DeliveryQuerySet):
    def owed(self) -> Self:
        """
        Unsent, recent, to an active account still at the address it was made
        for; a review request only while its post waits for review and its
        recipient still reviews.
        """
        still_asked = Q(post__in=Post.objects.submitted(), recipient__in=roles.reviewers())
        return self.undelivered().filter(
            Q(kind__in=[ReviewMail.Kind.PUBLISHED, ReviewMail.Kind.RETURNED]) | still_asked,
            created_at__gt=timezone.now() - timedelta(days=REVIEW_MAIL_OWED_DAYS),
            recipient__is_active=True,
            email=models.F("recipient__email"),
        )


class ReviewMail(Delivery):
    """One mail of the review queue's, owed once to one person."""

    class Kind(models.TextChoices):
        REQUEST = "review_request", "submitted for review"
        PUBLISHED = "review_published", "published by an Editor"
        RETURNED = "review_returned", "returned with a note"

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="review_mails")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_mails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.EmailField(help_text="The address the mail goes to.")
    # The Editor's note as it was when the decision was made.
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ReviewMailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} mail to {self.email} ({self.delivery_state})"


class ReviewDigestQuerySet(DeliveryQuerySet):
    def owed(self) -> Self:
        """
        Unsent, today's or yesterday's, to an active Editor who still wants it,
        at the address it was made for, while anything still waits for review.
        """
        return self.undelivered().filter(
            Exists(Post.objects.submitted()),
            recipient__in=roles.reviewers(),
            day__gte=timezone.localdate() - timedelta(days=1),
            recipient__is_active=True,
            recipient__review_mail="daily",
            email=models.F("recipient__email"),
        )


class ReviewDigest(Delivery):
    """The day's one mail to an Editor who asked for a daily list of what waits for review."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_digests")
    day = models.DateField()
    email = models.EmailField(help_text="The address the mail goes to.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewDigestQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="blog_reviewdigest_recipient_day_unique")
        ]

    def __str__(self) -> str:
        return f"review digest to {self.email} for {self.day} ({self.delivery_state})"
