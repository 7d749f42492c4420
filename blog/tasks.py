"""Background work for the blog: ids in, blog.reports and blog.newsletter do the work."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from blog import newsletter, readers, reports
from site.outbox import Outcome
from site.queue import queued_first_args, requeue, retry_as_asked

logger = logging.getLogger(__name__)


@db_task()
def report_send_task(report_id: int) -> Outcome:
    return retry_as_asked(reports.report_send(report_id=report_id), f"report {report_id}")


# Every minute: once a day is over, its visitor key and read rows go at once,
# even on a site nobody reads after midnight (the first read of a new day
# does the same in the web process).
@db_periodic_task(crontab(minute="*"))
def readers_forget_task() -> None:
    if deleted := readers.readers_forget():
        logger.info("forgot %d visitor key(s) and read row(s) of days that are over", deleted)


# Every minute and at consumer start, the one planner of the daily report:
# once REPORT_TIME passes, the due day (reports.report_due_day) has no reports
# yet, so this run owes them and queues one send each; it also catches up a
# report time missed while the consumer was down, and re-queues sends the
# queue lost. (A task at REPORT_TIME as well would plan the day twice.)
@db_periodic_task(crontab(minute="*"))
def report_reconcile_task() -> None:
    owed = reports.report_reconcile(in_flight_ids=queued_first_args(report_send_task))
    requeue(report_send_task, owed, "report(s)")


@db_task()
def subscription_confirmation_send_task(confirmation_id: int) -> Outcome:
    return retry_as_asked(
        newsletter.subscription_confirmation_send(confirmation_id=confirmation_id), f"confirmation {confirmation_id}"
    )


@db_task()
def post_mail_send_task(mail_id: int) -> Outcome:
    return retry_as_asked(newsletter.post_mail_send(mail_id=mail_id), f"new-post mail {mail_id}")


def _post_mails_queue(ids: list[int]) -> None:
    requeue(post_mail_send_task, ids, "new-post mail(s)")


@db_task()
def post_mails_owe_task(post_id: int) -> None:
    newsletter.post_mails_owe(post_id=post_id, enqueue=_post_mails_queue)


@db_periodic_task(crontab(minute="*"))
def subscription_confirmation_reconcile_task() -> None:
    owed = newsletter.subscription_confirmation_reconcile(
        in_flight_ids=queued_first_args(subscription_confirmation_send_task)
    )
    requeue(subscription_confirmation_send_task, owed, "confirmation mail(s)")


# Every minute: posts that became published without the write form (a
# scheduled time passing, the admin, the shell) are fanned out here, and
# sends the queue lost are queued again.
@db_periodic_task(crontab(minute="*"))
def post_mails_reconcile_task() -> None:
    newsletter.post_mails_owe_all(enqueue=_post_mails_queue)
    owed = newsletter.post_mail_reconcile(in_flight_ids=queued_first_args(post_mail_send_task))
    requeue(post_mail_send_task, owed, "new-post mail(s)")
