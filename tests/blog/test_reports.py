"""The daily report on the consumer's side (blog/reports.py) and its planning service."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from blog import reports, services
from blog.deliveries import REPORT
from blog.models import REPORT_OWED_DAYS, DailySources, DailyViews, Post, Report, ReportPlan
from site.outbox import delivery_send
from tests.deliveries import reconciled

pytestmark = pytest.mark.django_db


@pytest.fixture
def yesterday():
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def old_post(make_post):
    """A post published before yesterday began, so yesterday's report covers it."""
    return make_post(days_ago=3)


def test_report_has_day_and_total_views(author, old_post, make_post, yesterday, django_capture_on_commit_callbacks):
    make_post(title="Quiet post", days_ago=2)
    DailyViews.objects.create(post=old_post, day=yesterday, views=2)
    Post.objects.filter(pk=old_post.pk).update(view_count=2)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.report_plan(day=yesterday)
    assert [r.author for r in queued] == [author]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "report" in message.subject.lower() and message.to == [author.email]
    assert "Hello world: 2 that day, 2 in all" in message.body
    assert "Quiet post: 0 that day, 0 in all" in message.body
    assert "<table" in message.alternatives[0][0]


def test_report_is_sent_once_per_author_and_day(author, old_post, yesterday, django_capture_on_commit_callbacks):
    DailyViews.objects.create(post=old_post, day=yesterday, views=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_plan(day=yesterday)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_plan(day=yesterday) == []
    assert len(mail.outbox) == 1
    assert Report.objects.get(author=author, day=yesterday).sent_at is not None


def test_report_views_on_day_ignore_other_days(old_post, yesterday, django_capture_on_commit_callbacks):
    DailyViews.objects.create(post=old_post, day=yesterday - timedelta(days=1), views=5)
    DailyViews.objects.create(post=old_post, day=yesterday, views=7)
    Post.objects.filter(pk=old_post.pk).update(view_count=12)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_plan(day=yesterday)
    assert "Hello world: 7 that day, 12 in all" in mail.outbox[0].body


def test_authors_without_published_posts_get_no_report(user, make_post, yesterday, django_capture_on_commit_callbacks):
    make_post(author=user, title="draft", published_at=None)
    make_post(title="published today", days_ago=0)  # After the day ended: not yet an author then.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_plan(day=yesterday) == []
    assert mail.outbox == []


@pytest.mark.parametrize("days_ahead", [0, 1, 30])
def test_a_day_that_is_not_over_is_refused_and_changes_nothing(
    old_post, days_ahead, django_capture_on_commit_callbacks
):
    day = timezone.localdate() + timedelta(days=days_ahead)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(reports.ReportDayNotOver, match="not over yet"),
    ):
        services.report_plan(day=day)
    assert not Report.objects.exists() and mail.outbox == []


def test_dry_run_lists_exactly_what_a_real_run_queues(
    make_user, make_post, yesterday, django_capture_on_commit_callbacks
):
    # The case the old dry run's own filter got wrong: a report sent for the
    # day before and one still owed for the asked day.
    owed = make_user(email="owed@x.org", verified=True)
    make_post(author=owed, days_ago=5)
    Report.objects.create(author=owed, day=yesterday - timedelta(days=1), sent_at=timezone.now())
    Report.objects.create(author=owed, day=yesterday)
    failed = make_user(email="failed@x.org", verified=True)
    make_post(author=failed, days_ago=5)
    Report.objects.create(author=failed, day=yesterday, failed_at=timezone.now())
    fresh = make_user(email="fresh@x.org", verified=True)
    DailyViews.objects.create(post=make_post(author=fresh, days_ago=5), day=yesterday, views=1)

    dry = services.report_plan(day=yesterday, dry_run=True)
    assert Report.objects.for_day(yesterday).count() == 2  # The dry run wrote nothing.
    with django_capture_on_commit_callbacks(execute=True):
        real = services.report_plan(day=yesterday)
    assert sorted(r.author.email for r in dry) == sorted(r.author.email for r in real) == ["fresh@x.org", "owed@x.org"]


def test_a_day_older_than_the_owed_window_queues_nothing_dry_or_real(old_post, make_post):
    make_post(days_ago=REPORT_OWED_DAYS + 5)
    day = timezone.localdate() - timedelta(days=REPORT_OWED_DAYS + 1)
    assert services.report_plan(day=day, dry_run=True) == []
    assert services.report_plan(day=day) == []


def test_report_due_day_follows_report_time(settings):
    settings.REPORT_HOUR, settings.REPORT_MINUTE = 7, 0
    before = timezone.make_aware(timezone.datetime(2026, 3, 10, 6, 59))
    after = timezone.make_aware(timezone.datetime(2026, 3, 10, 7, 0))
    assert reports.report_due_day(before) == date(2026, 3, 8)
    assert reports.report_due_day(after) == date(2026, 3, 9)


def test_reconcile_catches_up_a_missed_report_time(author, old_post):
    due = reports.report_due_day()
    DailyViews.objects.create(post=old_post, day=due, views=1)
    [report_id] = reconciled(REPORT, set())
    report = Report.objects.get(pk=report_id)
    assert (report.author, report.day) == (author, due)
    delivery_send(kind=REPORT, pk=report_id)
    assert len(mail.outbox) == 1
    assert reconciled(REPORT, set()) == []


def test_the_report_tells_where_that_days_readers_came_from(old_post, yesterday, django_capture_on_commit_callbacks):
    DailyViews.objects.create(post=old_post, day=yesterday, views=3)
    DailySources.objects.create(post=old_post, day=yesterday, source="news.example", reads=2)
    DailySources.objects.create(post=old_post, day=yesterday - timedelta(days=1), source="older.example", reads=7)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_plan(day=yesterday)
    [message] = mail.outbox
    assert "Where readers came from:" in message.body and "- news.example: 2" in message.body
    assert "older.example" not in message.body
    assert "news.example: 2" in message.alternatives[0][0]


def test_reports_are_planned_in_short_batches_and_a_broken_run_is_finished_later(make_user, make_post, monkeypatch):
    day = reports.report_due_day()  # The day the reconciler catches up.
    writers = [make_user(email=f"w{n}@example.org", verified=True) for n in range(5)]
    for writer in writers:
        DailyViews.objects.create(post=make_post(author=writer, days_ago=3), day=day, views=1)
    monkeypatch.setattr(reports, "REPORT_PLAN_BATCH", 2)
    real_bulk_create, batches = Report.objects.bulk_create, []

    def bulk_create_then_break(rows, **kwargs):
        batches.append(len(rows))
        if len(batches) == 2:
            raise RuntimeError("the consumer dies half-way")
        return real_bulk_create(rows, **kwargs)

    monkeypatch.setattr(Report.objects, "bulk_create", bulk_create_then_break)
    with pytest.raises(RuntimeError):
        services.report_plan(day=day)
    # The first batch stands on its own; the day is not marked planned.
    assert Report.objects.for_day(day).count() == 2 and not ReportPlan.objects.exists()
    monkeypatch.setattr(Report.objects, "bulk_create", real_bulk_create)
    queued = reconciled(REPORT)  # The reconciler finds the day unplanned and plans it again.
    assert sorted(Report.objects.for_day(day).values_list("author__email", flat=True)) == sorted(
        w.email for w in writers
    )
    assert sorted(queued) == sorted(Report.objects.for_day(day).values_list("pk", flat=True))
    assert ReportPlan.objects.filter(day=day).exists() and batches[:2] == [2, 2]
