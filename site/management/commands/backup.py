"""
Take an online, consistent copy of both SQLite files (the site database and
the queue) with SQLite's backup API, while the web and consumer keep running.

    python manage.py backup                 # into DATA_DIR/backups/<UTC time>/
    python manage.py backup /mnt/backups/x  # into a folder of your choice

Restoring is in the README: stop both services, copy the two files back into
DATA_DIR (removing any -wal/-shm files beside them), start the services.
"""

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILES = ("db.sqlite3", "huey.sqlite3")


class Command(BaseCommand):
    help = "Copy db.sqlite3 and huey.sqlite3 consistently while the site runs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("dest", nargs="?", help="Folder to write the copies into (created if missing).")

    def handle(self, *args, dest=None, **options) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        dest = Path(dest) if dest else settings.DATA_DIR / "backups" / stamp
        # The copies hold password hashes and session keys: a private folder,
        # private files, and no symbolic link that could lead a write elsewhere.
        if dest.is_symlink():
            raise CommandError(f"{dest} is a symbolic link; give the real folder.")
        links = [name for name in FILES if (dest / name).is_symlink()]
        if links:
            raise CommandError(f"{dest} holds a symbolic link ({', '.join(links)}); choose an empty folder.")
        clashes = [name for name in FILES if (dest / name).exists()]
        if clashes:
            raise CommandError(f"{dest} already holds {', '.join(clashes)}; choose an empty folder.")
        try:
            dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create {dest}: {exc}") from exc
        for name in FILES:
            source = settings.DATA_DIR / name
            if not source.exists():
                self.stdout.write(f"  {name}: not there yet, skipped")
                continue
            pages = self._copy(source, dest / name)
            self.stdout.write(f"  {name}: {pages} pages copied, integrity ok")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {dest}"))

    def _copy(self, source: Path, target: Path) -> int:
        # Create the file ourselves: private, and refusing to follow a link
        # planted since the check above (O_EXCL fails on any existing name).
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            # One step copies every page under a single read snapshot: WAL
            # lets writers go on meanwhile, and the copy is consistent.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if result != "ok":
            raise CommandError(f"The copy of {source.name} failed its integrity check: {result}")
        return pages
