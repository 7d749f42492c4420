"""
Sending one owed mail: claim the row in one short transaction, talk SMTP with
no transaction open, record the outcome in a second one, so SQLite's write
lock is never held across network I/O. The result says plainly what should
happen next; site/queue.py turns it into a Huey retry.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from site.claims import CLAIM_LEASE, consumer_identity
from site.mail import smtp_error_is_permanent

if TYPE_CHECKING:
    # Only for annotations: site/queue.py imports this module while Django is
    # still loading apps, before any model may be defined.
    from django.core.mail import EmailMessage

    from site.delivery import Delivery, DeliveryQuerySet

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 10
RETRY_CAP_SECONDS = 600
# After this many attempts the task stops retrying itself; the reconciler
# keeps the mail owed and tries again each time it runs.
RETRY_BUDGET = 8


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # Not owed any more, or someone else is sending it.
    FAILED = "failed"  # Rejected for good; never tried again.
    RETRY = "retry"  # The task tries again in `retry_in` seconds.
    RECONCILE = "reconcile"  # Still owed; the reconciler takes it up once `retry_at` passes.


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_in: float | None = None

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.RETRY) != (self.retry_in is not None):
            raise ValueError("retry_in is set exactly when the outcome is RETRY")


def retry_delay(attempts: int) -> float:
    """Capped exponential backoff with jitter: 10 s, 20 s, ... up to 10 min."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


# Mails are spaced 10% wider than the limit asks: a second's worth of them
# then spans 1.1 s, so up to 100 ms of jitter between handing a mail over
# and the server accepting it (a slow first connection) never puts one too
# many into any second the provider counts.
PACE_MARGIN = 1.1


def send_turn_wait() -> float:
    """
    Under EMAIL_MAX_PER_SECOND, take the next turn to hand a mail to SMTP and
    sleep until it comes; returns the seconds slept. One upsert on one row, so
    every thread of every consumer shares the pace. Never call it inside a
    transaction: it sleeps.
    """
    rate = settings.EMAIL_MAX_PER_SECOND
    if not rate:
        return 0.0
    interval = PACE_MARGIN / rate
    # Looked up here: site.queue imports this module while Django loads its apps.
    table = apps.get_model("site", "SendPace")._meta.db_table
    now = time.time()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS pace (name, next_at) VALUES ('smtp', %s) "
            "ON CONFLICT (name) DO UPDATE SET next_at = "
            "CASE WHEN pace.next_at > %s THEN pace.next_at ELSE %s END + %s RETURNING next_at",
            [now + interval, now, now, interval],
        )
        turn = cursor.fetchone()[0] - interval
    wait = turn - time.time()
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)


def delivery_send(
    *, queryset: DeliveryQuerySet, pk: int, build_message: Callable[[Delivery], EmailMessage]
) -> SendResult:
    """
    Send one owed mail at most once at a time.

    `queryset` narrows to rows that are still owed (its model's own rules, such
    as "the user is not verified yet"); `build_message(row)` renders the mail.
    """
    model = queryset.model
    now = timezone.now()
    # Due, not just unclaimed: a second task for the same mail (several
    # consumers' start-up reconcilers, say) must not run a retry early.
    claimed = (
        queryset.due(now)
        .filter(pk=pk)
        .update(
            claimed_until=now + CLAIM_LEASE,
            claimed_by=consumer_identity(),
            attempts=F("attempts") + 1,
            retry_at=None,
        )
    )
    label = f"{model._meta.verbose_name} {pk}"
    if not claimed:
        logger.info("%s: not owed or already being sent, skipped", label)
        return SendResult(Outcome.SKIPPED)
    row = model.objects.get(pk=pk)
    if not row.message_id:
        row.message_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")
        model.objects.filter(pk=pk).update(message_id=row.message_id)
    try:
        message = build_message(row)
        message.extra_headers["Message-ID"] = row.message_id
        # Rendered first, so the turn is spent on SMTP alone. Waiting is part
        # of this one attempt: being held back never costs a retry.
        send_turn_wait()
        message.send()
    except Exception as exc:  # Any failure leaves the mail owed or marks it.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        release = {"claimed_until": None, "claimed_by": "", "last_error": error}
        if smtp_error_is_permanent(exc):
            model.objects.filter(pk=pk).update(failed_at=timezone.now(), **release)
            logger.warning("%s: rejected for good on attempt %d: %s", label, row.attempts, error)
            return SendResult(Outcome.FAILED)
        delay = retry_delay(row.attempts)
        model.objects.filter(pk=pk).update(retry_at=timezone.now() + timedelta(seconds=delay), **release)
        logger.warning("%s: attempt %d failed, retry in %.0f s: %s", label, row.attempts, delay, error)
        if row.attempts < RETRY_BUDGET:
            return SendResult(Outcome.RETRY, retry_in=delay)
        return SendResult(Outcome.RECONCILE)
    model.objects.filter(pk=pk).update(sent_at=timezone.now(), claimed_until=None, claimed_by="", last_error="")
    logger.info("%s: sent on attempt %d", label, row.attempts)
    return SendResult(Outcome.SENT)


def owed_ids_not_in_flight(*, queryset: DeliveryQuerySet, in_flight_ids: Collection[int]) -> list[int]:
    """Ids of owed rows that are due and that no queued task covers."""
    return [pk for pk in queryset.due().values_list("pk", flat=True) if pk not in in_flight_ids]
