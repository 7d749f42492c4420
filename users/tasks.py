"""Background work for accounts: ids in, users.mailings does the work."""

import logging

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from site.outbox import Outcome
from site.queue import queued_first_args, requeue, retry_as_asked
from users import mailings, throttles

logger = logging.getLogger(__name__)


@db_task()
def verification_send_task(verification_id: int) -> Outcome:
    return retry_as_asked(
        mailings.verification_send(verification_id=verification_id), f"verification {verification_id}"
    )


@db_task()
def account_mail_send_task(mail_id: int) -> Outcome:
    return retry_as_asked(mailings.account_mail_send(mail_id=mail_id), f"account mail {mail_id}")


# Hourly: expired sessions go, so the table holds at most SESSION_COOKIE_AGE
# (two weeks) of logins instead of every login since the site began.
@db_periodic_task(crontab(minute="23"))
def sessions_purge_task() -> None:
    before = Session.objects.count()
    SessionStore.clear_expired()
    if purged := before - Session.objects.count():
        logger.info("purged %d expired session(s)", purged)


@db_periodic_task(crontab(minute="17"))
def throttles_purge_task() -> None:
    if purged := throttles.throttles_purge():
        logger.info("purged %d expired rate-limit counter(s)", purged)


# Runs every minute, and at consumer start: the scheduler enqueues periodic
# tasks on its first pass.
@db_periodic_task(crontab(minute="*"))
def verification_reconcile_task() -> None:
    owed = mailings.verification_reconcile(in_flight_ids=queued_first_args(verification_send_task))
    requeue(verification_send_task, owed, "verification mail(s)")


@db_periodic_task(crontab(minute="*"))
def account_mail_reconcile_task() -> None:
    owed = mailings.account_mail_reconcile(in_flight_ids=queued_first_args(account_mail_send_task))
    requeue(account_mail_send_task, owed, "account mail(s)")
