from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from blog import reports
from blog.models import DailyViews, Report
from site import tasks as site_tasks
from site.tasks import deliveries_reconcile_task

pytestmark = pytest.mark.django_db


def test_the_reconciler_plans_the_due_day_and_sends_it(make_post):
    DailyViews.objects.create(post=make_post(days_ago=3), day=reports.report_due_day(), views=1)
    deliveries_reconcile_task.call_local()
    assert Report.objects.get().day == reports.report_due_day()
    assert len(mail.outbox) == 1


def test_reconcile_task_sends_a_missed_report_once(make_post, huey_queue):
    DailyViews.objects.create(post=make_post(days_ago=3), day=reports.report_due_day(), views=1)
    deliveries_reconcile_task.call_local()
    deliveries_reconcile_task.call_local()  # The first one's send is still queued.
    [queued] = huey_queue.pending()
    assert queued.args == ("report", [Report.objects.get(day=reports.report_due_day()).pk])


def test_at_report_time_the_day_is_planned_and_queued_once(make_post, huey_queue, settings, monkeypatch):
    settings.REPORT_HOUR, settings.REPORT_MINUTE = 7, 0
    at = timezone.localtime().replace(hour=7, minute=0, second=5, microsecond=0)
    DailyViews.objects.create(post=make_post(days_ago=3), day=at.date() - timedelta(days=1), views=1)
    monkeypatch.setattr(timezone, "now", lambda: at)
    # The tasks due that minute run at once on different worker threads, so
    # each sees the queue as it was before any of them: nothing in flight.
    monkeypatch.setattr(site_tasks, "queued_deliveries", lambda task: set())
    for task in huey_queue.read_periodic(at.replace(tzinfo=None)):
        task.execute()
    report_sends = [t for t in huey_queue.pending() if t.args and t.args[0] == "report"]
    assert [len(t.args[1]) for t in report_sends] == [1]
    assert Report.objects.get().day == at.date() - timedelta(days=1)
