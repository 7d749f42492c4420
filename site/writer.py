"""
One SQLite writer at a time, queued rather than polling.

SQLite lets one connection write at a time. A writer that finds the lock
taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... ms between
tries, so under load the lock sits free while the next writer sleeps. The
hottest write on the site (counting a read, in every web worker) queues on
an in-process lock and an flock(2) on a file next to the database instead:
the kernel wakes the next writer the moment the one before is done.
"""

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

_threads = threading.Lock()
_file: tuple[int, int] | None = None  # (pid, fd): a worker forked from a master must open its own.


def _lock_fd() -> int | None:
    global _file
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:") or ":memory:" in name:
        return None
    if _file is None or _file[0] != os.getpid():
        try:
            fd = os.open(Path(name).with_name(Path(name).name + "-writer"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None  # A full disk or a read-only folder: the in-process lock still holds.
        _file = (os.getpid(), fd)
    return _file[1]


@contextlib.contextmanager
def one_writer() -> Iterator[None]:
    """Hold this around a short SQLite write transaction (no-op ordering on other engines)."""
    if connection.vendor != "sqlite":
        yield
        return
    with _threads:
        fd = _lock_fd()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
