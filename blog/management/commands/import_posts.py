"""
Import another blog's export from a file on the server: a WordPress export
(WXR), a Ghost export (JSON), an Atom or RSS feed, or a zip of Markdown
files with front matter (this site's own export among them). The format is
told from the content. Runs here, in the foreground, with its progress;
`--queue` hands it to the consumer instead, as the site's Import page does.
Running it again adds nothing twice and updates what changed.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from blog.importers import formats, runner
from blog.importers.items import FORMAT_NAMES, ImportFailed
from blog.importers.services import ImportRefused, import_job_create, import_job_run_here
from blog.models import ImportJob
from site.storage import connections_as_consumer


class Command(BaseCommand):
    help = "Import posts from a WordPress, Ghost, Atom/RSS or Markdown-zip export; safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="The export file.")
        parser.add_argument(
            "--author",
            required=True,
            help="The account (email) whose posts they become when their writer has no account here.",
        )
        parser.add_argument(
            "--all-to-author", action="store_true", help="Give every post to --author, whoever wrote it."
        )
        parser.add_argument("--dry-run", action="store_true", help="Read the export and say what would change.")
        parser.add_argument("--queue", action="store_true", help="Let the consumer run it; follow it on the site.")

    def handle(self, *args, path, author, all_to_author=False, dry_run=False, queue=False, **options) -> None:
        account = get_user_model().objects.with_email(author).first()
        if account is None:
            raise CommandError(f"No account has the address {author}.")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        if dry_run:
            self._dry_run(source, account.pk)
            return
        connections_as_consumer()  # It writes in bulk, as the consumer would.
        try:
            with open(source, "rb") as file:
                job = import_job_create(
                    by=None,
                    author=account,
                    file=file,
                    file_name=source.name,
                    all_to_author=all_to_author,
                    queue=queue,
                )
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{source.name}: {FORMAT_NAMES.get(job.format, job.format)}, {job.file_size:,} bytes")
        if queue:
            self.stdout.write(self.style.SUCCESS(f"Queued as import {job.pk}; the site shows its progress."))
            return
        job = import_job_run_here(job=job, progress=self._progress)
        self._summary(job)
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.error)

    def _dry_run(self, source: Path, author_id: int) -> None:
        try:
            with open(source, "rb") as file:
                format_ = formats.detect(file)
            self.stdout.write(f"{source.name}: {FORMAT_NAMES[format_]}, {source.stat().st_size:,} bytes")
            preview = runner.import_file_preview(path=str(source), format=format_, author_id=author_id)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Dry run: nothing was written.")
        self._summary(preview, would=True)

    def _progress(self, job: ImportJob) -> None:
        self.stdout.write(
            f"  {job.items_seen:,} items ({job.percent}%): {job.created:,} new, {job.updated:,} updated, "
            f"{job.unchanged:,} unchanged, {job.skipped:,} skipped"
        )

    def _summary(self, job: ImportJob, *, would: bool = False) -> None:
        for row in job.report:
            if "item" in row:
                self.stdout.write(f"  skipped {row['item']}: {row['reason']}")
            else:
                self.stdout.write(f"  left out {row['count']:,} × {row['left_out']} (not posts)")
        verb = "Would import" if would else "Imported"
        line = (
            f"{verb}: {job.created:,} new, {job.updated:,} updated, {job.unchanged:,} unchanged, "
            f"{job.skipped:,} skipped."
        )
        self.stdout.write(self.style.SUCCESS(line) if job.state != ImportJob.State.FAILED else line)
