from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse


class SiteSettingsQuerySet(models.QuerySet):
    def current(self) -> SiteSettings:
        """
        The site's settings: its one row, or the environment's first values
        until an Administrator saves them. Reading writes nothing, so a page
        that only reads them still answers on a full disk.
        """
        return SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1, registration=settings.REGISTRATION)

    def saved(self) -> SiteSettings:
        """The one row, made from the environment's first values if missing (for the admin, which edits it)."""
        found, _ = SiteSettings.objects.get_or_create(pk=1, defaults={"registration": settings.REGISTRATION})
        return found


class SiteSettings(models.Model):
    """What an Administrator decides for the whole site, in the admin: one row."""

    class Registration(models.TextChoices):
        OPEN = "open", "Open: anyone signs up and verifies, as a Contributor"
        INVITE = "invite", "By invitation only"
        CLOSED = "closed", "Closed: nobody new"

    registration = models.CharField(
        max_length=10, choices=Registration.choices, default=Registration.OPEN, db_default=Registration.OPEN
    )

    objects = SiteSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "Site settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1  # One row, whichever way it is saved.
        super().save(*args, **kwargs)


class SendPace(models.Model):
    """
    When the next mail may be handed to SMTP (unix time), shared by every
    consumer thread and process: EMAIL_MAX_PER_SECOND spaces mails out
    through this one row (site.outbox.send_turn_wait).
    """

    name = models.CharField(max_length=50, unique=True)
    next_at = models.FloatField(default=0)

    backup_omit = True  # Only ever "now or a second from now": nothing to restore.

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: next send at {self.next_at:.3f}"


class RateLimitCounter(models.Model):
    """
    Hits on one key (e.g. "signup:ip:203.0.113.9") in one fixed time window.

    Kept in the database so every gunicorn worker counts against the same
    limit; a per-process cache would multiply it by the number of workers.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        # Made by the users app before both apps needed limits; the table keeps its name.
        db_table = "users_ratelimitcounter"
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="users_ratelimit_key_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"


class ConsumerQuerySet(models.QuerySet):
    def heard_since(self, moment: datetime) -> ConsumerQuerySet:
        return self.filter(seen_at__gte=moment)

    def quiet_since(self, moment: datetime) -> ConsumerQuerySet:
        return self.filter(seen_at__lt=moment)

    def ended(self) -> ConsumerQuerySet:
        return self.filter(ended_at__isnull=False)

    def running(self, heard_since: datetime) -> ConsumerQuerySet:
        return self.heard_since(heard_since).filter(ended_at__isnull=True)


class Consumer(models.Model):
    """
    One running `run_huey` process, on this machine or another: its heartbeat
    (site.claims.consumer_beat, every few seconds) is the only sign of life
    that every machine can judge. Claims on owed mail name the consumer.
    """

    id = models.CharField(primary_key=True, max_length=64)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # The process table `pid` belongs to (kernel boot and PID namespace) and
    # the process's start in it: a consumer sharing that table sees at once
    # that the process has ended, without waiting out the quiet minute.
    pid_space = models.CharField(max_length=100, blank=True, db_default="")
    pid_started = models.BigIntegerField(null=True, blank=True)
    # Set by a consumer sharing that table when it sees the process gone, so
    # any machine's reconciler frees the claims at once.
    ended_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    objects = ConsumerQuerySet.as_manager()
    backup_omit = True  # Processes, not data: a restored site starts its own.

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"

    def get_absolute_url(self) -> str:
        return reverse("admin:queue")


class PeriodicSlot(models.Model):
    """
    The last scheduled minute a periodic task was queued for. Every consumer
    runs the scheduler; the one whose conditional update moves `minute` on
    queues the run, the others see they lost (site.queue.periodic_slot_take).
    """

    name = models.CharField(max_length=200, unique=True)
    minute = models.DateTimeField()

    backup_omit = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: last queued for {self.minute:%Y-%m-%d %H:%M}"


class TaskErrorQuerySet(models.QuerySet):
    def recent(self) -> TaskErrorQuerySet:
        return self.order_by("-at", "-pk")


class TaskError(models.Model):
    """An unexpected exception in a task, written by whichever consumer ran it."""

    at = models.DateTimeField(db_index=True)
    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64)
    consumer = models.CharField(max_length=64, blank=True)
    error = models.TextField()

    objects = TaskErrorQuerySet.as_manager()
    backup_omit = True

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.task} at {self.at:%Y-%m-%d %H:%M:%S}: {self.error[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("admin:queue")
