"""
Take an online, consistent, compressed copy of both SQLite files (the site
database and the queue) while the web and the consumer keep running, then
rotate the copies in DATA_DIR/backups/. On PostgreSQL the copy is
`pg_dump --format=custom` of the site's database (data and queue), rotated
the same way; restore it with `pg_restore` (README, "Past one box").

    python manage.py backup                       # into DATA_DIR/backups/<UTC time>/, then rotate
    python manage.py backup --keep 14 --keep-weekly 8
    python manage.py backup /mnt/backups/x        # into a folder of your choice (no rotation)

The pictures go beside them as media.tar (`--no-media` leaves them out).

deploy/quick_publisher-backup.timer runs it daily. Restoring is in the README:
stop both services, gunzip the two files into DATA_DIR (removing any
-wal/-shm files beside them), unpack media.tar into DATA_DIR/media, start
the services.
"""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from site.backups import MEDIA_FILE, STAMP, BackupError, backup_dump, backup_write, backups_prune, media_backup


class Command(BaseCommand):
    help = (
        "Copy the database and the queue consistently while the site runs (pg_dump on PostgreSQL); rotate old copies."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dest", nargs="?", help="Folder to write the copies into (created if missing).")
        parser.add_argument("--keep", type=int, default=7, help="Daily copies to keep in DATA_DIR/backups (7).")
        parser.add_argument("--keep-weekly", type=int, default=4, help="Weekly copies to keep as well (4).")
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="Leave the pictures out (a bucket backed up by its own versioning, say).",
        )

    def handle(self, *args, dest=None, keep=7, keep_weekly=4, no_media=False, **options) -> None:
        if keep < 1 or keep_weekly < 0:
            raise CommandError("--keep must be at least 1 and --keep-weekly at least 0.")
        folder = settings.DATA_DIR / "backups"
        target = Path(dest) if dest else folder / datetime.now(UTC).strftime(STAMP)
        try:
            if connection.vendor == "postgresql":
                size = backup_dump(dest=target)
                self.stdout.write(f"  {connection.settings_dict['NAME']}: pg_dump wrote {size} bytes")
            else:
                for name, pages in backup_write(dest=target, data_dir=settings.DATA_DIR):
                    self.stdout.write(f"  {name}: {pages} pages copied, integrity ok, compressed")
            if not no_media:
                self.stdout.write(f"  {MEDIA_FILE}: {media_backup(dest=target)} picture files")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target}"))
        if dest is None:
            for path in backups_prune(folder=folder, keep_daily=keep, keep_weekly=keep_weekly):
                self.stdout.write(f"  removed old copy {path.name}")
