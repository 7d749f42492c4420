"""Background work for the blog: thin wrappers that call blog.services."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from blog import services
from site.queue import queued_first_args, retry_as_asked


@db_task()
def report_send_task(report_id):
    return retry_as_asked(services.report_send(report_id=report_id), f"report {report_id}")


@db_periodic_task(crontab(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE))
def report_daily_task():
    services.report_plan(day=timezone.localdate() - timedelta(days=1), in_flight_ids=queued_first_args(report_send_task))


# Every minute and at consumer start: catches up a report time missed while
# the consumer was down, and re-queues sends the queue lost.
@db_periodic_task(crontab(minute="*"))
def report_reconcile_task():
    for report_id in services.report_reconcile(in_flight_ids=queued_first_args(report_send_task)):
        report_send_task(report_id)
