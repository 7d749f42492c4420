"""
When the disk is full: reading goes on, writing says so plainly, and space
freed is used again at once, with no restart.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection, connections
from huey import Huey
from huey.storage import SqliteStorage

logger = logging.getLogger(__name__)

# What SQLite (and the OS under it) says when a write cannot land.
_WRITE_FAILURES = (
    "database or disk is full",
    "disk i/o error",
    "no space left",
    "unable to open database file",
    "attempt to write a readonly database",
)
LOG_EVERY_SECONDS = 60
_logged_at: dict[str, float] = {}
_lock = threading.Lock()


def connections_as_consumer() -> None:
    """
    This process writes in bulk, as the consumer does (run_huey, import_posts):
    its SQLite connections map less of the database and checkpoint the WAL
    at the consumer's smaller size themselves, so a page view's one-row
    write never inherits a large checkpoint (site/settings.py says why).
    """
    database = connections["default"]
    if database.vendor == "sqlite":
        database.close()
        database.settings_dict["OPTIONS"]["init_command"] = settings.CONSUMER_SQLITE_PRAGMAS


def is_write_failure(exc: BaseException) -> bool:
    """A database error that means "cannot write here now" (full disk, I/O), not a bug."""
    return isinstance(exc, DatabaseError) and any(text in str(exc).lower() for text in _WRITE_FAILURES)


def write_failure_log(what: str, exc: BaseException) -> None:
    """One line per kind of failure per minute per process: a full disk must not fill itself with tracebacks."""
    now = time.monotonic()
    with _lock:
        if now - _logged_at.get(what, -LOG_EVERY_SECONDS) < LOG_EVERY_SECONDS:
            return
        _logged_at[what] = now
    logger.error("cannot write %s: %s (logged once a minute while it lasts)", what, exc)


def database_checkpoint() -> None:
    """
    Copy the WAL into the database and cut it to nothing (TRUNCATE), so the
    space it held goes back to the filesystem, and space freed on a full disk
    is not first swallowed by a WAL that regrows. Best effort.
    """
    if connection.vendor != "sqlite":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except DatabaseError as exc:
        write_failure_log("a checkpoint of the database", exc)


def queue_checkpoint(huey: Huey) -> None:
    """The same for Huey's SQLite queue file."""
    if not isinstance(huey.storage, SqliteStorage):
        return
    try:
        huey.storage.sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # Storage errors are the storage's own classes.
        write_failure_log("a checkpoint of the queue", exc)
