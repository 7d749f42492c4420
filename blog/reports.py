"""
The daily view report, on the consumer's side: which day is due, who is owed
a report, rendering and sending one, and catching up what was missed. Called
by blog/tasks.py and blog/services.py; never imports tasks.
"""

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable
from django.urls import reverse
from django.utils import timezone

from blog.models import REPORT_OWED_DAYS, DailySources, DailyViews, Post, Report, ReportPlan, authors
from site import unsubscribe
from site.mail import mail_render
from site.models import site_settings
from site.unsubscribe import unsubscribe_headers, unsubscribe_url

REPORT_SOURCES = 5
REPORT_PLAN_BATCH = 500
REPORT_PLAN_PAUSE = 0.15
# A weekly report goes out on Monday for the week that ended on Sunday.
WEEK_LAST_DAY = 6


class ReportDayNotOver(ValueError):
    """A day's report waits until the day is over: sent earlier, it would miss the rest of the day's views."""

    def __init__(self, day: date) -> None:
        super().__init__(
            f"{day} is not over yet; its report goes out at {settings.REPORT_HOUR:02d}:{settings.REPORT_MINUTE:02d} "
            f"on {day + timedelta(days=1)}. Choose a day before {timezone.localdate()}."
        )
        self.day = day


def report_due_day(now: datetime | None = None) -> date:
    """The latest day whose report should have gone out by `now` (site time)."""
    now = timezone.localtime(now)
    today = now.date()
    sent_today_at = now.replace(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE, second=0, microsecond=0)
    return today - timedelta(days=1) if now >= sent_today_at else today - timedelta(days=2)


def report_days(*, frequency: str, day: date) -> int | None:
    """How many days a report for `day` covers at `frequency`; None when that frequency sends none for it."""
    frequency_choices = get_user_model().ReportFrequency
    if frequency == frequency_choices.DAILY:
        return 1
    if frequency == frequency_choices.WEEKLY and day.weekday() == WEEK_LAST_DAY:
        return 7
    return None


def report_authors(*, day: date) -> QuerySet:
    """
    Authors owed a report for `day`: everyone with a post published by the end
    of it whose setting sends one for it (daily; weekly when `day` ends a
    week), and who had at least one read in the period or asked for quiet ones.
    """
    end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    frequency_choices = get_user_model().ReportFrequency
    periods = [
        (frequency, days)
        for frequency in (frequency_choices.DAILY, frequency_choices.WEEKLY)
        if (days := report_days(frequency=frequency, day=day))
    ]
    if not periods:
        return authors(at=end_of_day).none()
    wanted: Q | Combinable = Q()
    for frequency, days in periods:
        read = Exists(
            DailyViews.objects.filter(
                post__author=OuterRef("pk"), day__gte=day - timedelta(days=days - 1), day__lte=day, views__gt=0
            )
        )
        wanted |= Q(report_frequency=frequency) & (Q(report_when_quiet=True) | read)
    return authors(at=end_of_day).filter(wanted).order_by("pk")


def report_owe(*, day: date, dry_run: bool = False) -> list[Report]:
    """
    Owe every author a report for `day` and return the reports owed for it
    (`dry_run`: would owe; nothing is kept). Idempotent: a report already
    sent is not owed again. The caller queues the sends.

    In batches of REPORT_PLAN_BATCH authors, each read outside any
    transaction and written in a short one of its own (tens of
    milliseconds): planning for 100,000 authors in one transaction held
    SQLite's write lock, and every other write on the site, for seconds. A run stopped half-way leaves the day
    unplanned (no ReportPlan), so the reconciler runs it again.
    """
    if day >= timezone.localdate():
        raise ReportDayNotOver(day)
    owed: list[Report] = []
    wanted = report_authors(day=day).values_list("pk", "report_frequency")
    after = 0
    while batch := list(wanted.filter(pk__gt=after)[:REPORT_PLAN_BATCH]):
        after = batch[-1][0]
        ids = [pk for pk, _ in batch]
        batch_owed = Report.objects.owed().for_day(day).filter(author_id__in=ids).select_related("author")
        rows = [
            Report(author_id=pk, day=day, days=report_days(frequency=frequency, day=day) or 1)
            for pk, frequency in batch
        ]
        with transaction.atomic():
            Report.objects.bulk_create(rows, ignore_conflicts=True)
            if dry_run:
                owed += batch_owed
                transaction.set_rollback(True)
        if not dry_run:
            owed += batch_owed  # Read after the commit: the transaction holds the write lock for the insert alone.
        if connection.vendor == "sqlite" and len(batch) == REPORT_PLAN_BATCH:
            # More may follow. A writer waiting in SQLite's busy handler polls every 100 ms at
            # worst: leave it a gap that long, or batch after batch starves it.
            time.sleep(REPORT_PLAN_PAUSE)
    if not dry_run:
        ReportPlan.objects.get_or_create(day=day)
    # Owed before this run, by an author no longer among the wanted (a setting changed since).
    owed += (
        Report.objects.owed().for_day(day).exclude(author_id__in=[r.author_id for r in owed]).select_related("author")
    )
    return owed


def report_render(report: Report) -> EmailMessage:
    posts = Post.objects.published().by(report.author).with_views_between(report.first_day, report.day)
    leave = unsubscribe_url(url_name="users:reports-unsubscribe", kind=unsubscribe.REPORTS, pk=report.author_id)
    return mail_render(
        template="blog/email/report",
        context={
            "author": report.author,
            "report": report,
            "posts": list(posts.order_by("-views_between", "-view_count", "title").only("title", "slug", "view_count")),
            "sources": DailySources.objects.for_author(report.author).top(
                since=report.first_day, until=report.day, limit=REPORT_SOURCES
            ),
            "dashboard_path": reverse("blog:dashboard"),
            "profile_path": reverse("users:profile"),
            "unsubscribe_url": leave,
        },
        to=report.author.email,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        headers=unsubscribe_headers(url=leave, list_name=f"{site_settings().title} reports", list_local="reports"),
    )


def reports_plan_missed(now: datetime | None = None) -> Iterator[list[int]]:
    """
    Catch up a missed schedule: owe the reports of the due day and of every
    day since the last planned one (the consumer was down at REPORT_TIME,
    perhaps on the Monday a weekly report goes out), up to REPORT_OWED_DAYS
    back. The reconciler then queues every owed report with the rest, so this
    yields nothing of its own.
    """
    due = report_due_day(now)
    last = ReportPlan.objects.filter(day__lte=due).order_by("-day").values_list("day", flat=True).first()
    first = max(last + timedelta(days=1), due - timedelta(days=REPORT_OWED_DAYS - 1)) if last else due
    for offset in range((due - first).days + 1):
        report_owe(day=first + timedelta(days=offset))
    yield from ()
