"""Mail the blog owes: reports to authors, and new posts to the readers who subscribed."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from site.delivery import Delivery, DeliveryQuerySet

# How far back an unsent report is still worth sending.
REPORT_OWED_DAYS = 7


class ReportQuerySet(DeliveryQuerySet):
    def owed(self) -> ReportQuerySet:
        oldest = timezone.localdate() - timedelta(days=REPORT_OWED_DAYS)
        return self.undelivered().filter(day__gte=oldest)

    def for_day(self, day: date) -> ReportQuerySet:
        return self.filter(day=day)

    def for_author(self, author: models.Model) -> ReportQuerySet:
        return self.filter(author=author)


class Report(Delivery):
    """The daily view report owed to one author for one day."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    day = models.DateField(help_text="The day whose views the report shows.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "author_id"]
        constraints = [models.UniqueConstraint(fields=["author", "day"], name="blog_report_author_day_unique")]

    def __str__(self) -> str:
        return f"report for {self.author} on {self.day} ({self.delivery_state})"
