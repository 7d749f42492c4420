"""Background work for accounts: ids in, users.mailings does the work."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from site.outbox import Outcome
from site.queue import queued_first_args, retry_as_asked
from users import mailings, throttles

logger = logging.getLogger(__name__)


@db_task()
def verification_send_task(verification_id: int) -> Outcome:
    return retry_as_asked(
        mailings.verification_send(verification_id=verification_id), f"verification {verification_id}"
    )


@db_task(retries=5, retry_delay=60)
def account_exists_send_task(user_id: int) -> None:
    # A courtesy note, not owed state: Huey's own retries are enough.
    mailings.account_exists_send(user_id=user_id)


@db_task(retries=5, retry_delay=60)
def account_pending_send_task(user_id: int) -> None:
    # Like the reset mail: short-lived link, the person can sign up again.
    mailings.account_pending_send(user_id=user_id)


@db_task(retries=5, retry_delay=30)
def password_reset_send_task(user_id: int) -> None:
    # The link is short-lived and the user can ask again: Huey's retries suffice.
    mailings.password_reset_send(user_id=user_id)


@db_periodic_task(crontab(minute="17"))
def throttles_purge_task() -> None:
    if purged := throttles.throttles_purge():
        logger.info("purged %d expired rate-limit counter(s)", purged)


# Runs every minute, and at consumer start: the scheduler enqueues periodic
# tasks on its first pass.
@db_periodic_task(crontab(minute="*"))
def verification_reconcile_task() -> None:
    owed = mailings.verification_reconcile(in_flight_ids=queued_first_args(verification_send_task))
    for verification_id in owed:
        verification_send_task(verification_id)
    if owed:
        logger.info("queued %d owed verification mail(s)", len(owed))
