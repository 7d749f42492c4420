"""Writes with side effects for the blog: posts, view counting and the daily report."""
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from blog.models import DailyViews, Post, Report
from site.delivery import delivery_owed_not_in_flight, delivery_release_dead_claims, delivery_send
from site.mail import mail_render


class NotVerified(Exception):
    """Publishing needs a verified address."""


def post_create(*, author, title, content, publish=False):
    if publish and not author.is_verified:
        raise NotVerified
    return Post.objects.create(
        author=author, title=title, content=content, published_at=timezone.now() if publish else None
    )


def post_update(*, post, title, content):
    post.title = title
    post.content = content
    post.save()
    return post


def post_publish(*, post):
    if not post.author.is_verified:
        raise NotVerified
    if not post.is_published:
        post.published_at = timezone.now()
        post.save(update_fields=["published_at", "updated_at"])
    return post


def post_unpublish(*, post):
    post.published_at = None
    post.save(update_fields=["published_at", "updated_at"])
    return post


def post_view_record(*, post):
    """
    Count one view, in the total and in today's tally, and return the new total.

    Both are in-database increments in one short IMMEDIATE transaction: an
    upsert for the tally (so "no row yet" cannot race) and an UPDATE ...
    RETURNING for the total, so the page needs no extra read. This is the
    hottest write on the site; the ORM's update-then-create and a refresh cost
    it about a third of its throughput (see docs/benchmarks.md).
    """
    tally, posts = DailyViews._meta.db_table, Post._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tally} (post_id, day, views) VALUES (%s, %s, 1) "
            "ON CONFLICT (post_id, day) DO UPDATE SET views = views + 1",
            [post.pk, timezone.localdate().isoformat()],
        )
        cursor.execute(f"UPDATE {posts} SET view_count = view_count + 1 WHERE id = %s RETURNING view_count", [post.pk])
        return cursor.fetchone()[0]


def report_due_day(now=None):
    """The latest day whose report should have gone out by `now` (site time)."""
    now = timezone.localtime(now)
    today = now.date()
    sent_today_at = now.replace(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE, second=0, microsecond=0)
    return today - timedelta(days=1) if now >= sent_today_at else today - timedelta(days=2)


def report_authors(*, day):
    """Authors owed a report for `day`: everyone with a post published by then."""
    end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    return (
        get_user_model()
        .objects.filter(is_active=True, posts__published_at__lt=end_of_day)
        .distinct()
        .order_by("pk")
    )


def _report_enqueue_on_commit(report_ids):
    from blog.tasks import report_send_task

    transaction.on_commit(lambda: [report_send_task(report_id) for report_id in report_ids])


def report_plan(*, day, in_flight_ids=frozenset()):
    """
    Owe every author a report for `day` and queue the sends. Idempotent: a
    report already sent is not owed again, so a second run queues nothing.
    Returns the owed reports it queued.
    """
    with transaction.atomic():
        Report.objects.bulk_create(
            [Report(author_id=author_id, day=day) for author_id in report_authors(day=day).values_list("pk", flat=True)],
            ignore_conflicts=True,
            batch_size=500,
        )
        owed = list(Report.objects.owed().for_day(day).exclude(pk__in=in_flight_ids).select_related("author"))
    _report_enqueue_on_commit([report.pk for report in owed])
    return owed


def report_send(*, report_id):
    def build(report):
        posts = Post.objects.published().by(report.author).with_views_on(report.day).order_by("-view_count", "title")
        return mail_render(
            template="blog/email/report",
            context={
                "author": report.author,
                "day": report.day,
                "posts": list(posts.only("title", "slug", "view_count")),
                "dashboard_path": reverse("blog:dashboard"),
            },
            to=report.author.email,
        )

    return delivery_send(queryset=Report.objects.owed().select_related("author"), pk=report_id, build_message=build)


def report_reconcile(*, in_flight_ids, now=None):
    """
    Catch up a missed schedule and re-owe lost sends: plan the due day if no
    run planned it (the consumer was down at REPORT_TIME), and return the ids
    of owed reports that nothing in the queue covers.
    """
    delivery_release_dead_claims(model=Report)
    due = report_due_day(now)
    if not Report.objects.for_day(due).exists():
        report_plan(day=due, in_flight_ids=in_flight_ids)
        in_flight_ids = set(in_flight_ids) | set(Report.objects.owed().for_day(due).values_list("pk", flat=True))
    return delivery_owed_not_in_flight(queryset=Report.objects.owed(), in_flight_ids=in_flight_ids)
