"""
Delivery state for owed mail, shared by verification mails and reports.

The database, not the queue, says what must be sent: a row is owed until
`sent_at` or `failed_at` is set. A send claims the row in one short
transaction, talks SMTP with no transaction open, then records the outcome in
a second one, so SQLite's write lock is never held across network I/O.
"""
import logging
import os
import random
import socket
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from site.mail import smtp_error_is_permanent

logger = logging.getLogger(__name__)

# Longer than any SMTP conversation can take (EMAIL_TIMEOUT per step), so a
# live claim is never mistaken for a dead one.
CLAIM_LEASE = timedelta(minutes=10)
RETRY_BASE_SECONDS = 10
RETRY_CAP_SECONDS = 600
# After this many attempts the task stops retrying itself; the reconciler
# keeps the mail owed and tries again each time it runs.
RETRY_BUDGET = 8


def consumer_identity():
    """Who is claiming: host and pid, so a claim by a dead process is visible."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_is_dead(claimed_by):
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # Another box's process: trust its lease.
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def retry_delay(attempts):
    """Capped exponential backoff with jitter: 10 s, 20 s, ... up to 10 min."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


class DeliveryQuerySet(models.QuerySet):
    def undelivered(self):
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def unclaimed(self, now=None):
        now = now or timezone.now()
        return self.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def sent(self):
        return self.filter(sent_at__isnull=False)

    def failed(self):
        return self.filter(failed_at__isnull=False)


class Delivery(models.Model):
    """Abstract: the outcome of sending one owed mail."""

    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the mail server rejected the mail for good."
    )
    last_error = models.TextField(blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_by = models.CharField(max_length=200, blank=True, editable=False)
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def delivery_state(self):
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        if self.last_error:
            return "retrying"
        return "pending"


class Outcome:
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    RETRY = "retry"


def delivery_send(*, queryset, pk, build_message):
    """
    Send one owed mail at most once at a time. Returns (outcome, retry_delay).

    `queryset` narrows to rows that are still owed (its model's own rules, such
    as "the user is not verified yet"); `build_message(row)` renders the mail.
    """
    model = queryset.model
    now = timezone.now()
    claimed = (
        queryset.undelivered()
        .unclaimed(now)
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
        return Outcome.SKIPPED, None
    row = model.objects.get(pk=pk)
    try:
        build_message(row).send()
    except Exception as exc:  # Any failure leaves the mail owed or marks it.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        release = {"claimed_until": None, "claimed_by": "", "last_error": error}
        if smtp_error_is_permanent(exc):
            model.objects.filter(pk=pk).update(failed_at=timezone.now(), **release)
            logger.warning("%s: rejected for good on attempt %d: %s", label, row.attempts, error)
            return Outcome.FAILED, None
        delay = retry_delay(row.attempts)
        retry_at = timezone.now() + timedelta(seconds=delay)
        model.objects.filter(pk=pk).update(retry_at=retry_at, **release)
        logger.warning("%s: attempt %d failed, retry in %.0f s: %s", label, row.attempts, delay, error)
        # Past the budget the task stops scheduling itself; the reconciler
        # takes the mail up again once retry_at has passed.
        return Outcome.RETRY, (delay if row.attempts < RETRY_BUDGET else None)
    model.objects.filter(pk=pk).update(
        sent_at=timezone.now(), claimed_until=None, claimed_by="", last_error=""
    )
    logger.info("%s: sent on attempt %d", label, row.attempts)
    return Outcome.SENT, None


def delivery_release_dead_claims(*, model):
    """Free claims whose process died mid-send (SIGKILL, OOM), so they can be retried."""
    owners = (
        model.objects.filter(claimed_until__gt=timezone.now())
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [owner for owner in owners if claim_is_dead(owner)]
    if dead:
        model.objects.filter(claimed_by__in=dead).update(claimed_until=None, claimed_by="")
    return len(dead)


def delivery_owed_not_in_flight(*, queryset, in_flight_ids):
    """Ids of owed rows that no queued task, pending retry or live claim covers."""
    now = timezone.now()
    return [
        pk
        for pk in queryset.undelivered()
        .unclaimed(now)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .values_list("pk", flat=True)
        if pk not in in_flight_ids
    ]
