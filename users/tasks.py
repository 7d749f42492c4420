"""Background housekeeping for accounts (their mail is sent by site.tasks, as every delivery kind)."""

import logging

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from users import throttles

logger = logging.getLogger(__name__)


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
