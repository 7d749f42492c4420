"""What readers did: views per day, where they came from, and the short-lived records that count each visitor once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.db.models import Sum
from django.utils import timezone

from blog.models.posts import Post


class DailyViewsQuerySet(models.QuerySet):
    def for_author(self, author: models.Model) -> DailyViewsQuerySet:
        return self.filter(post__author=author)

    def totals_by_day(self, since: date) -> dict[date, int]:
        """{day: views} summed over posts, from `since` on."""
        rows = self.filter(day__gte=since).values("day").annotate(total=Sum("views")).order_by()
        return {row["day"]: row["total"] for row in rows}

    def top_posts(self, since: date, limit: int) -> list[TopPost]:
        """The `limit` posts read most from `since` on, from the days' tallies alone."""
        rows = list(
            self.filter(day__gte=since, views__gt=0)
            .values("post_id")
            .annotate(reads=Sum("views"))
            .order_by("-reads", "post__title")[:limit]
        )
        posts = Post.objects.only("title", "slug").in_bulk([row["post_id"] for row in rows])
        return [TopPost(post=posts[row["post_id"]], reads=row["reads"]) for row in rows]


@dataclass(frozen=True)
class TopPost:
    post: Post
    reads: int


class DailyViews(models.Model):
    """How many times a post was viewed on one day (site time zone)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    objects = DailyViewsQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        verbose_name_plural = "daily views"
        constraints = [models.UniqueConstraint(fields=["post", "day"], name="blog_dailyviews_post_day_unique")]

    def __str__(self) -> str:
        return f"{self.post} on {self.day}: {self.views}"

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()


class VisitorKey(models.Model):
    """
    The secret that turns a reader's address and browser into an anonymous
    visitor id for one day. Deleted as soon as the day is over, which makes
    every id made with it meaningless.
    """

    day = models.DateField(unique=True)
    secret = models.BinaryField(max_length=32, editable=False)

    # Backups are kept for weeks; the day's key must not outlive the day in one.
    backup_omit = True

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"visitor key for {self.day}"


# A visitor id is two halves (blog.readers.visitor_id): the client's address,
# then its browser. One address counts as at most READERS_PER_ADDRESS readers
# of a post a day, however many user agents it shows.
VISITOR_ADDRESS_CHARS = 16
READERS_PER_ADDRESS = 5


class PostReadQuerySet(models.QuerySet):
    def from_address_of(self, visitor: str) -> PostReadQuerySet:
        """Reads by visitors at `visitor`'s address: a range of the unique index, whose last column is the visitor."""
        address = visitor[:VISITOR_ADDRESS_CHARS]
        return self.filter(visitor__gte=address, visitor__lt=address + "g")  # Visitor ids are hexadecimal.


class PostRead(models.Model):
    """One visitor read one post on one day: only there to count each visitor once. Deleted after the day."""

    # The unique constraint is the row's only index, so a counted read writes
    # three pages here rather than five: this is the hottest write on the
    # site. The table holds one day, so deleting by day or by post scans it.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    visitor = models.CharField(max_length=64)

    objects = PostReadQuerySet.as_manager()

    backup_omit = True  # As VisitorKey: a restored site may count a reader twice that day, nothing worse.

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["post", "day", "visitor"], name="blog_postread_post_day_visitor_unique")
        ]

    def __str__(self) -> str:
        return f"a read of {self.post_id} on {self.day}"


class DailySourcesQuerySet(models.QuerySet):
    def for_author(self, author: models.Model) -> DailySourcesQuerySet:
        return self.filter(post__author=author)

    def top(self, *, since: date, until: date | None = None, limit: int = 10) -> list[tuple[str, int]]:
        """[(source, reads)], most reads first, over the days from `since` to `until` (inclusive)."""
        days = self.filter(day__gte=since, day__lte=until or timezone.localdate())
        totals = days.values_list("source").annotate(total=Sum("reads")).order_by("-total", "source")[:limit]
        return [(source, total) for source, total in totals]


class DailySources(models.Model):
    """Reads of a post on one day that came from one site (a link's host, or utm_source)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="daily_sources")
    day = models.DateField()
    source = models.CharField(max_length=100)
    reads = models.PositiveIntegerField(default=0)

    objects = DailySourcesQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-reads"]
        verbose_name_plural = "daily sources"
        constraints = [
            models.UniqueConstraint(fields=["post", "day", "source"], name="blog_dailysources_post_day_source_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post} on {self.day} from {self.source}: {self.reads}"

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()
