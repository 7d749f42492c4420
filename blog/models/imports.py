"""Moving in: import jobs, what each imported post came from, and the old addresses that lead to it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from blog.models.posts import Post

# A job's report keeps this many skipped items by name; the count keeps them all.
REPORT_MAX_ITEMS = 500
# A running job writes its progress at least this often; one quiet for longer
# lost its consumer (killed mid-way) and is queued again: the import is
# idempotent, so it goes over what it had done without adding anything twice.
JOB_QUIET_AFTER = timedelta(minutes=5)
OLD_PATH_MAX_LENGTH = 500


class ImportJobQuerySet(models.QuerySet):
    def unfinished(self) -> ImportJobQuerySet:
        return self.filter(state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING])

    def stalled(self) -> ImportJobQuerySet:
        """Unfinished and quiet: never taken, or taken by a consumer that stopped."""
        return self.unfinished().filter(progress_at__lt=timezone.now() - JOB_QUIET_AFTER)


class ImportJob(models.Model):
    """One file to import, uploaded on the site or named to `manage.py import_posts`, and how far it got."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the consumer"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="import_jobs"
    )
    # Posts whose writer has no account here (or all, with all_to_author) go to this account.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    all_to_author = models.BooleanField(default=False)
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    path = models.CharField(max_length=500, editable=False)
    file_size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=20, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    progress_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    bytes_read = models.PositiveBigIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"item": name, "reason": why}, ...], the first REPORT_MAX_ITEMS skipped.
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    # Which run holds the job: one taken over (its consumer went quiet) finds
    # its token gone at its next progress write, and stops.
    run_token = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("import_posts", "Can import posts from other blogs")]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_state_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("blog:import-detail", kwargs={"pk": self.pk})

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(99, self.bytes_read * 100 // self.file_size) if self.file_size else 0

    @property
    def items_seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped


class ImportedPost(models.Model):
    """
    Which item of which export a post was made from, and a digest of what it
    said: a second import of the same export finds its posts here, adds none
    twice and updates only those whose item changed.
    """

    # The export's own name for its site (a WordPress base URL, a feed's id)
    # and the item's within it (a post id, a guid, a path in a zip).
    source = models.CharField(max_length=300)
    key = models.CharField(max_length=300)
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="imported_from")
    digest = models.CharField(max_length=64)
    # The run (ImportJob.run_token) that last met this item: met again in the same run, the export repeats an id.
    run_token = models.CharField(max_length=32, blank=True, default="")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="blog_importedpost_source_key")]

    def __str__(self) -> str:
        return f"{self.source} {self.key}"

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()


class OldAddress(models.Model):
    """
    An address a post had on the blog it came from (WordPress's `/?p=123` and
    `/2020/05/slug/`, Ghost's `/slug/`): asked for here, it answers with a
    permanent redirect to the post (blog/redirects.py), while the post is public.
    """

    path = models.CharField(max_length=OLD_PATH_MAX_LENGTH, unique=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="old_addresses")

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "old addresses"

    def __str__(self) -> str:
        return self.path

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()
