import os

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin.apps import AdminConfig

# The database and the queue hold password hashes and session keys.
PRIVATE_FILES = (
    "db.sqlite3",
    "db.sqlite3-wal",
    "db.sqlite3-shm",
    "huey.sqlite3",
    "huey.sqlite3-wal",
    "huey.sqlite3-shm",
)


class SiteConfig(AppConfig):
    name = "site"
    label = "site"
    verbose_name = "quick_publisher"

    def ready(self) -> None:
        # Every process of the site (web, consumer, commands) creates files
        # for its own user only: databases, their WAL files, backups.
        os.umask(0o077)
        # Sites installed before this was so keep world-readable files: close them.
        for name in PRIVATE_FILES:
            path = settings.DATA_DIR / name
            try:
                if path.stat().st_mode & 0o077:
                    path.chmod(0o600)
            except (FileNotFoundError, PermissionError):
                pass


class QuickPublisherAdminConfig(AdminConfig):
    # Our admin site adds the queue health page to Django's admin.
    default_site = "site.admin_site.QuickPublisherAdminSite"
