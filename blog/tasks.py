"""Background work for the blog: thin wrappers that call blog.services."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from blog import services
from site.queue import queued_first_args


@db_task()
def report_send_task(report_id):
    outcome, delay = services.report_send(report_id=report_id)
    if delay is not None:
        raise RetryTask(f"report {report_id}: {outcome}", delay=delay)
    return outcome


@db_periodic_task(crontab(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE))
def report_daily_task():
    services.report_plan(day=timezone.localdate() - timedelta(days=1), in_flight_ids=queued_first_args(report_send_task))


# Every minute and at consumer start: catches up a report time missed while
# the consumer was down, and re-queues sends the queue lost.
@db_periodic_task(crontab(minute="*"))
def report_reconcile_task():
    for report_id in services.report_reconcile(in_flight_ids=queued_first_args(report_send_task)):
        report_send_task(report_id)
