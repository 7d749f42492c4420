from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, models
from django.urls import reverse

from site import identity
from site.text import single_line, single_line_validate

logger = logging.getLogger(__name__)


def _first_values() -> dict[str, object]:
    """What the environment says, where a new site starts: an Administrator changes it in the admin."""
    return {
        "registration": settings.REGISTRATION,
        "title": settings.SITE_NAME,
        "description": settings.SITE_DESCRIPTION,
        "language": settings.SITE_LANGUAGE,
    }


class SiteSettingsQuerySet(models.QuerySet):
    def current(self) -> SiteSettings:
        """
        The site's settings: its one row, or the environment's first values
        until an Administrator saves them. Reading writes nothing, so a page
        that only reads them still answers on a full disk.
        """
        return SiteSettings.objects.filter(pk=1).first() or self.first_values()

    def first_values(self) -> SiteSettings:
        """The settings as the environment gives them, unsaved."""
        return SiteSettings(pk=1, **_first_values())

    def saved(self) -> SiteSettings:
        """The one row, made from the environment's first values if missing (for the admin, which edits it)."""
        found, _ = SiteSettings.objects.get_or_create(pk=1, defaults=_first_values())
        return found


class SiteSettings(models.Model):
    """What an Administrator decides for the whole site, in the admin: one row."""

    class Registration(models.TextChoices):
        OPEN = "open", "Open: anyone signs up and verifies, as a Contributor"
        INVITE = "invite", "By invitation only"
        CLOSED = "closed", "Closed: nobody new"

    class DateFormat(models.TextChoices):
        # Django's date format strings, each shown as a reader would see it.
        DAY_MONTH = "j M Y", "6 Dec 2026"
        DAY_LONG_MONTH = "j F Y", "6 December 2026"
        MONTH_DAY = "M j, Y", "Dec 6, 2026"
        LONG_MONTH_DAY = "F j, Y", "December 6, 2026"
        ISO = "Y-m-d", "2026-12-06"
        DAY_DOTS = "j.n.Y", "6.12.2026"
        DAY_SLASHES = "d/m/Y", "06/12/2026"
        MONTH_SLASHES = "m/d/Y", "12/06/2026"

    registration = models.CharField(
        max_length=10, choices=Registration.choices, default=Registration.OPEN, db_default=Registration.OPEN
    )
    title = models.CharField(
        max_length=100,
        default="quick_publisher",
        db_default="quick_publisher",
        validators=[single_line_validate],
        help_text="In the masthead, page titles, feeds and mails.",
    )
    description = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",
        validators=[single_line_validate],
        help_text="One line about the site: for search engines, link previews and feeds.",
    )
    # Pictures of the pictures pipeline, by their stored names ("images/ab/<hash>.png"):
    # the blog keeps and shows them (blog/identity/), and never prunes them while named here.
    logo = models.CharField(max_length=100, blank=True, default="", db_default="", editable=False)
    icon = models.CharField(max_length=100, blank=True, default="", db_default="", editable=False)
    accent = models.CharField(
        "accent colour",
        max_length=7,
        blank=True,
        default="",
        db_default="",
        validators=[identity.accent_check],
        help_text="Links and buttons, as #rrggbb; readable on white (4.5:1). Blank: the built-in blue.",
    )
    custom_css = models.TextField(
        "custom CSS",
        blank=True,
        default="",
        db_default="",
        validators=[identity.custom_css_check],
        help_text="A stylesheet loaded after the site's own on every reader's page (CSS only; no @import).",
    )
    # The first 16 hex digits of the stylesheet's SHA-256: its address (site.views.custom_css).
    custom_css_digest = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)
    footer = models.TextField(
        blank=True, default="", db_default="", max_length=2000, help_text="Markdown, under every page."
    )
    footer_html = models.TextField(blank=True, default="", db_default="", editable=False)
    navigation = models.TextField(
        blank=True,
        default="",
        db_default="",
        validators=[identity.navigation_check],
        help_text=(
            "One link a line, in order, as Markdown: [About](/about/) or [Code](https://example.org/). "
            "Blank: the published pages marked “in the navigation”."
        ),
    )
    language = models.CharField(
        max_length=35,
        default="en",
        db_default="en",
        validators=[identity.language_check],
        help_text="The pages' language, as a tag: en, en-GB, de, pt-BR…",
    )
    date_format = models.CharField(
        max_length=10, choices=DateFormat.choices, default=DateFormat.DAY_MONTH, db_default=DateFormat.DAY_MONTH
    )
    posts_per_page = models.PositiveSmallIntegerField(
        default=10,
        db_default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="On the front, tag and author pages (1 to 50).",
    )
    read_counts_public = models.BooleanField(
        "show read counts to readers",
        default=False,
        db_default=False,
        help_text="Off: a post's read count is shown only to whoever may edit it.",
    )

    objects = SiteSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "Site settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1  # One row, whichever way it is saved.
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("admin:site_sitesettings_change", args=[1])

    @property
    def navigation_links(self) -> list[identity.Link]:
        try:
            return identity.navigation_links(self.navigation)
        except ValidationError:  # Stored without the form (a shell): no links rather than a broken page.
            return []

    @property
    def accent_style(self) -> str:
        return identity.accent_style(self.accent)

    @property
    def custom_css_url(self) -> str:
        return reverse("custom-css", kwargs={"digest": self.custom_css_digest}) if self.custom_css_digest else ""

    def picture_names(self) -> set[str]:
        """The pictures of the pictures pipeline these settings show."""
        return {name for name in (self.logo, self.icon) if name}


def site_settings() -> SiteSettings:
    """The site's settings for a page, feed or mail: the environment's first values if the database cannot say."""
    try:
        found = SiteSettings.objects.current()
    except DatabaseError as exc:  # The page still shows (a 503 saying the database is away, say).
        logger.warning("the site settings could not be read: %s", exc)
        return SiteSettings.objects.first_values()
    # One line, whatever wrote the row (the admin's form folds them; a shell may not): mail headers, feeds.
    found.title, found.description = single_line(found.title) or settings.SITE_NAME, single_line(found.description)
    return found


class SendPace(models.Model):
    """
    When the next send in a bucket may go (unix time), shared by every
    consumer thread and process: EMAIL_MAX_PER_SECOND spaces mails out
    through the "smtp" row, FEDERATION_HOST_MAX_PER_SECOND each fediverse
    server's activities through its own (site.outbox.send_turn_wait).
    """

    name = models.CharField(max_length=300, unique=True)
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
