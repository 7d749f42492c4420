"""Writes with side effects for the blog: posts, view counting, and planning the daily report."""

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from blog import reports, tasks
from blog.models import DailyViews, Post, Report
from site.queue import enqueue_on_commit


class NotVerified(Exception):
    """Publishing needs a verified address."""


def _publish_check(author: AbstractBaseUser) -> None:
    if not author.is_verified:
        raise NotVerified


def post_create(*, author: AbstractBaseUser, title: str, content: str, publish: bool = False) -> Post:
    """Write a post, as a draft or published. Raises NotVerified, before writing anything, to publish unverified."""
    if publish:
        _publish_check(author)
    return Post.objects.create(
        author=author, title=title, content=content, published_at=timezone.now() if publish else None
    )


def post_update(*, post: Post, title: str, content: str) -> Post:
    post.title = title
    post.content = content
    post.save()
    return post


def post_publish(*, post: Post) -> Post:
    _publish_check(post.author)
    if not post.is_published:
        post.published_at = timezone.now()
        post.save(update_fields=["published_at", "updated_at"])
    return post


def post_unpublish(*, post: Post) -> Post:
    post.published_at = None
    post.save(update_fields=["published_at", "updated_at"])
    return post


def post_view_record(*, post: Post) -> int:
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


def report_plan(*, day: date, dry_run: bool = False) -> list[Report]:
    """
    Owe every author a report for `day` (a day that is over) and queue the
    sends. A dry run does the same work and rolls it back, so it shows exactly
    what a real run would queue. Raises reports.ReportDayNotOver.
    """
    with transaction.atomic():
        owed = reports.report_owe(day=day)
        if dry_run:
            transaction.set_rollback(True)
            return owed
    for report in owed:
        enqueue_on_commit(tasks.report_send_task, report.pk)
    return owed
