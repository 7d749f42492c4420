"""Background work for the blog: ids in, blog.reports does the work."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from blog import readers, reports
from site.outbox import Outcome
from site.queue import queued_first_args, retry_as_asked


@db_task()
def report_send_task(report_id: int) -> Outcome:
    return retry_as_asked(reports.report_send(report_id=report_id), f"report {report_id}")


@db_periodic_task(crontab(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE))
def report_daily_task() -> None:
    for report in reports.report_owe(day=reports.report_due_day(), in_flight_ids=queued_first_args(report_send_task)):
        report_send_task(report.pk)


# Every minute: once a day is over, its visitor key and read rows go at once,
# even on a site nobody reads after midnight (the first read of a new day
# does the same in the web process).
@db_periodic_task(crontab(minute="*"))
def readers_forget_task() -> None:
    readers.readers_forget()


# Every minute and at consumer start: catches up a report time missed while
# the consumer was down, and re-queues sends the queue lost.
@db_periodic_task(crontab(minute="*"))
def report_reconcile_task() -> None:
    for report_id in reports.report_reconcile(in_flight_ids=queued_first_args(report_send_task)):
        report_send_task(report_id)
