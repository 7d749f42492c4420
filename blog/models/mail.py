"""Mail the blog owes: reports to authors, and new posts to the readers who subscribed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Self

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from blog.models.posts import Post, published_q
from site.delivery import Delivery, DeliveryQuerySet

# How far back an unsent report is still worth sending.
REPORT_OWED_DAYS = 7


class ReportQuerySet(DeliveryQuerySet):
    def owed(self) -> Self:
        """Unsent, recent enough to be worth sending, to an author who still wants reports."""
        oldest = timezone.localdate() - timedelta(days=REPORT_OWED_DAYS)
        off = get_user_model().ReportFrequency.OFF
        return self.undelivered().filter(day__gte=oldest).exclude(author__report_frequency=off)

    def for_day(self, day: date) -> ReportQuerySet:
        return self.filter(day=day)

    def for_author(self, author: models.Model) -> ReportQuerySet:
        return self.filter(author=author)


class Report(Delivery):
    """The view report owed to one author for one day, or for the week that ends on it."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    day = models.DateField(help_text="The (last) day whose views the report shows.")
    days = models.PositiveSmallIntegerField(
        default=1, db_default=1, help_text="How many days, ending on `day`, it covers: 1, or 7 for a weekly one."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "author_id"]
        constraints = [models.UniqueConstraint(fields=["author", "day"], name="blog_report_author_day_unique")]

    def __str__(self) -> str:
        return f"report for {self.author} on {self.day} ({self.delivery_state})"

    @property
    def first_day(self) -> date:
        return self.day - timedelta(days=self.days - 1)


class ReportPlan(models.Model):
    """A day whose reports were planned: the planner's record, so it plans each day once."""

    day = models.DateField(unique=True)
    planned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"reports for {self.day} planned at {self.planned_at:%Y-%m-%d %H:%M}"


# A confirmation link older than this does nothing, and its mail is no longer owed.
SUBSCRIPTION_CONFIRM_DAYS = 7
# How far back a new post's unsent mail is still worth sending.
POST_MAIL_OWED_DAYS = 7


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self) -> SubscriberQuerySet:
        """Subscribed now: confirmed, and not unsubscribed since."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)

    def for_author(self, author: models.Model) -> SubscriberQuerySet:
        return self.filter(author=author)

    def owed(self, post: Post) -> SubscriberQuerySet:
        """
        Who is owed `post`: its author's subscribers, and the whole site's,
        who had confirmed by the time it was published; a reader subscribed
        both ways is owed it once (as the author's subscriber).
        """
        confirmed = self.confirmed().filter(confirmed_at__lte=post.published_at)
        by_author = confirmed.filter(author_id=post.author_id)
        site_wide = confirmed.filter(author__isnull=True).exclude(email__in=by_author.values("email"))
        return by_author | site_wide


class Subscriber(models.Model):
    """A reader who asked for an author's new posts (or every author's) by mail (no account needed)."""

    # None: the whole site, every author's new posts.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="subscribers"
    )
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reader followed the confirmation link; posts published since go out."
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["author", "email"], name="blog_subscriber_author_email_unique"),
            # NULLs are distinct in a unique index: the whole site's subscribers need their own.
            models.UniqueConstraint(
                fields=["email"], condition=models.Q(author__isnull=True), name="blog_subscriber_site_email_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} for {self.author or 'the whole site'}"

    def get_absolute_url(self) -> str:
        return self.author.get_absolute_url() if self.author else reverse("blog:post-list")

    @property
    def state(self) -> str:
        if self.unsubscribed_at:
            return "unsubscribed"
        return "confirmed" if self.confirmed_at else "unconfirmed"


class SubscriptionConfirmationQuerySet(DeliveryQuerySet):
    def owed(self) -> Self:
        """Unsent, its link still working, and the reader has neither confirmed nor left since asking."""
        return self.undelivered().filter(
            created_at__gt=timezone.now() - timedelta(days=SUBSCRIPTION_CONFIRM_DAYS),
            subscriber__confirmed_at__isnull=True,
            subscriber__unsubscribed_at__isnull=True,
        )


class SubscriptionConfirmation(Delivery):
    """The "confirm your subscription" mail owed to a reader who subscribed (double opt-in)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="confirmations")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = SubscriptionConfirmationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"confirmation mail to {self.subscriber.email} ({self.delivery_state})"


@dataclass(frozen=True)
class MailCounts:
    sent: int = 0
    pending: int = 0
    failed: int = 0


class PostMailQuerySet(DeliveryQuerySet):
    def counts_by_post(self, post_ids: list[int]) -> dict[int, MailCounts]:
        """Each post's new-post mails sent, pending and failed, in one grouped query over the unique index."""
        rows = (
            self.filter(post_id__in=post_ids)
            .order_by()
            .values("post_id")
            .annotate(
                sent=Count("pk", filter=Q(sent_at__isnull=False)),
                failed=Count("pk", filter=Q(failed_at__isnull=False)),
                pending=Count("pk", filter=Q(sent_at__isnull=True, failed_at__isnull=True)),
            )
        )
        return {row["post_id"]: MailCounts(row["sent"], row["pending"], row["failed"]) for row in rows}

    def owed(self) -> Self:
        """Unsent, recent, the post still published and the reader still subscribed."""
        return (
            self.undelivered()
            .filter(
                created_at__gt=timezone.now() - timedelta(days=POST_MAIL_OWED_DAYS),
                subscriber__confirmed_at__isnull=False,
                subscriber__unsubscribed_at__isnull=True,
            )
            .filter(published_q(prefix="post__"))
        )

    def for_post(self, post: models.Model) -> PostMailQuerySet:
        return self.filter(post=post)


class PostMail(Delivery):
    """One new post, owed once to one subscriber of its author."""

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="mails")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="post_mails")
    created_at = models.DateTimeField(default=timezone.now)

    objects = PostMailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "subscriber"], name="blog_postmail_post_subscriber_unique")
        ]

    def __str__(self) -> str:
        return f"new post {self.post_id} to {self.subscriber.email} ({self.delivery_state})"
