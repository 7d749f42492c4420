"""
Move a site from its SQLite file to an empty PostgreSQL database, for a site
outgrowing one box (README, "Past one box").

    systemctl stop quick_publisher-web quick_publisher-consumer
    # MOVE_TO_DATABASE_URL=postgres://blog:PASSWORD@db.internal/blog in /etc/quick_publisher/env
    python manage.py move_to_postgres --dry-run
    python manage.py move_to_postgres
    # then rename it DATABASE_URL in /etc/quick_publisher/env, and start both services

Run it with the site's usual environment (DATA_DIR pointing at the SQLite
file, DATABASE_URL unset). It migrates the target, refuses one that holds
data, copies every table in one transaction and checks the counts; the
SQLite file is only read. Owed mail moves as rows and is queued again by
the reconcilers within a minute of the first consumer's start.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, ProgrammingError

from site.moving import MoveError, moved_models, site_move, target_connect, target_occupied


class Command(BaseCommand):
    help = "Copy this site's SQLite database into an empty PostgreSQL database (DATABASE_URL form)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "url",
            nargs="?",
            default=os.environ.get("MOVE_TO_DATABASE_URL", ""),
            help="postgres://user@host:port/name of the new, empty database. Default: MOVE_TO_DATABASE_URL from "
            "the environment, so no password appears on a command line (or give none and let libpq read its "
            "password file, ~/.pgpass or PGPASSFILE).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the target and list what would move; write nothing."
        )

    def handle(self, *args, url, dry_run=False, **options) -> None:
        if not url:
            raise CommandError("Name the new database: MOVE_TO_DATABASE_URL=postgres://... in the environment.")
        try:
            target_connect(url)
            if dry_run:
                return self._dry_run()
            self.stdout.write("Migrating the PostgreSQL database ...")
            self._migrate(url)
            self.stdout.write("Copying, in one transaction:")
            copied = site_move(progress=self.stdout.write)
        except (MoveError, DatabaseError) as exc:
            raise CommandError(f"Nothing was moved: {exc}") from exc
        rows = sum(count for _, count in copied)
        self.stdout.write(self.style.SUCCESS(f"Moved {rows} rows in {len(copied)} tables, every count checked."))
        self.stdout.write("Now set DATABASE_URL to that URL in the site's environment and start web and consumer.")

    def _dry_run(self) -> None:
        for model in moved_models():
            self.stdout.write(f"  {model._meta.db_table}: {model._base_manager.count()} rows would move")
        try:
            occupied = target_occupied()
        except ProgrammingError:
            occupied = []  # Its tables do not exist yet: the usual state of a new database.
        except DatabaseError as exc:
            raise MoveError(f"cannot use the PostgreSQL database: {exc}") from exc
        if occupied:
            raise MoveError(f"the PostgreSQL database already holds data ({', '.join(occupied)})")
        self.stdout.write(self.style.SUCCESS("Dry run: the target is reachable and empty; nothing was written."))

    def _migrate(self, url: str) -> None:
        # In a process of its own whose default database is the target, so
        # every migration (the data migrations included) runs there.
        done = subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "migrate", "--no-input", "-v0"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise MoveError(f"migrate on the PostgreSQL database failed:\n{done.stderr.strip()[-2000:]}")
