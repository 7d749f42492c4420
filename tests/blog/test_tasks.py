import pytest
from django.core import mail

from blog import reports
from blog import tasks as blog_tasks
from blog.models import Report

pytestmark = pytest.mark.django_db


def test_daily_task_reports_the_due_day(make_post):
    make_post(days_ago=3)
    blog_tasks.report_daily_task.call_local()
    assert Report.objects.get().day == reports.report_due_day()
    assert len(mail.outbox) == 1


def test_reconcile_task_sends_a_missed_report_once(make_post, huey_queue):
    make_post(days_ago=3)
    blog_tasks.report_reconcile_task.call_local()
    blog_tasks.report_reconcile_task.call_local()  # The first one's send is still queued.
    [queued] = huey_queue.pending()
    assert queued.args == (Report.objects.get(day=reports.report_due_day()).pk,)


def test_report_schedule_follows_report_time(settings):
    from datetime import datetime

    validate = blog_tasks.report_daily_task.task_class().validate_datetime
    assert validate(datetime(2026, 5, 1, settings.REPORT_HOUR, settings.REPORT_MINUTE))
    assert not validate(datetime(2026, 5, 1, (settings.REPORT_HOUR + 1) % 24, settings.REPORT_MINUTE))
