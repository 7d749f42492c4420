"""
The record of owed mail, shared by every kind of it (verification mails, reports).

The database, not the queue, says what must be sent: a row is owed until
`sent_at` or `failed_at` is set. How a row is claimed and sent is in
site/outbox.py; how claims of dead processes are freed, in site/claims.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone


class DeliveryQuerySet(models.QuerySet):
    def undelivered(self) -> Self:
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def unclaimed(self, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def due(self, now: datetime | None = None) -> Self:
        """Undelivered, claimed by nobody, and not waiting for a scheduled retry."""
        now = now or timezone.now()
        return self.undelivered().unclaimed(now).filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))

    def sent(self) -> Self:
        return self.filter(sent_at__isnull=False)

    def failed(self) -> Self:
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
    # Made at the first attempt and sent with every one: a retry after a
    # timeout (the server may have taken the first) is then the same mail to
    # the receiver, which many mail systems collapse.
    message_id = models.CharField(max_length=255, blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True

    @property
    def delivery_state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        if self.last_error:
            return "retrying"
        return "pending"
