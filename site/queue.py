"""
The task queue: Huey's SQLite storage with the durability level we chose.

Huey's own `fsync` option offers only FULL (fsync every commit) or OFF (which
can corrupt the file on power loss). In WAL mode, NORMAL is the level between:
no corruption, and a power cut can lose only the last few enqueues, which the
reconcilers re-create from the database's record of what mail is owed.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from huey import Huey, SqliteHuey
from huey.api import Task, TaskWrapper
from huey.exceptions import RetryTask
from huey.storage import SqliteStorage

from site.outbox import Outcome, SendResult

logger = logging.getLogger(__name__)


class QueueStorage(SqliteStorage):
    synchronous = "NORMAL"

    def _create_connection(self) -> sqlite3.Connection:
        conn = super()._create_connection()
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


class QueueHuey(SqliteHuey):
    storage_class = QueueStorage


# The reconcilers all run at the top of the minute on the consumer's worker
# threads; each used to unpickle the whole queue for itself, so a queue of
# 10,000 report sends cost five full reads at once (and the memory of four).
# One read is shared for a few seconds; what the reconcilers queue meanwhile
# is added to it (requeue below), and anything else it misses is at worst
# queued twice, which the claim on the owed row makes harmless.
SNAPSHOT_SECONDS = 5.0
_snapshot_lock = threading.Lock()
_snapshot: dict[str, Any] = {"at": float("-inf"), "huey": None, "args": {}}


def _queued_args(huey: Huey) -> dict[type, set[Any]]:
    with _snapshot_lock:
        if _snapshot["huey"] is huey and time.monotonic() - _snapshot["at"] < SNAPSHOT_SECONDS:
            return _snapshot["args"]
        found: dict[type, set[Any]] = collections.defaultdict(set)
        for task in [*huey.pending(), *huey.scheduled()]:
            if task.args:
                found[type(task)].add(task.args[0])
        _snapshot.update(at=time.monotonic(), huey=huey, args=found)
        return found


def queued_snapshot_forget() -> None:
    """Read the queue afresh next time (after flushing it, say)."""
    with _snapshot_lock:
        _snapshot.update(at=float("-inf"), huey=None, args={})


def queued_first_args(task_wrapper: TaskWrapper) -> set[Any]:
    """
    First arguments (ids, by convention) of the tasks of one kind now waiting in
    the queue or its schedule: the mail already in flight, which a reconciler
    must not enqueue again.
    """
    return set(_queued_args(task_wrapper.huey).get(task_wrapper.task_class, ()))


HEARTBEAT_KEY = "consumer:heartbeat"
ERRORS_KEY = "consumer:errors"
ERRORS_KEPT = 20


def heartbeat_write(huey: Huey, now: datetime) -> None:
    huey.put(HEARTBEAT_KEY, {"at": now, "pid": os.getpid(), "host": socket.gethostname()})


def heartbeat_read(huey: Huey) -> dict | None:
    """The consumer's last sign of life, or None if it never ran on this queue."""
    return huey.get(HEARTBEAT_KEY, peek=True)


_errors_lock = threading.Lock()


def task_error_record(huey: Huey, task: Task, exc: BaseException | None, now: datetime) -> None:
    """Keep the last few unexpected task errors where the admin can read them."""
    with _errors_lock:
        errors = huey.get(ERRORS_KEY, peek=True) or []
        errors.insert(
            0, {"at": now, "task": type(task).__name__, "id": task.id, "error": f"{type(exc).__name__}: {exc}"[:500]}
        )
        huey.put(ERRORS_KEY, errors[:ERRORS_KEPT])


def task_errors_read(huey: Huey) -> list[dict]:
    return huey.get(ERRORS_KEY, peek=True) or []


def requeue(task: TaskWrapper, ids: list[int], what: str) -> None:
    """Queue `task(id)` for each owed id a reconciler found, and say so when there were any."""
    for pk in ids:
        task(pk)
    with _snapshot_lock:
        if _snapshot["huey"] is task.huey:
            _snapshot["args"].setdefault(task.task_class, set()).update(ids)
    if ids:
        logger.info("queued %d owed %s", len(ids), what)


def retry_as_asked(result: SendResult, label: str) -> Outcome:
    """A send task's ending: Huey retries it after the delay the send asked for."""
    if result.outcome is Outcome.RETRY:
        raise RetryTask(f"{label}: retry", delay=result.retry_in)
    return result.outcome


# How a service hands a task to the queue once its transaction commits. The
# benchmarks (bench/modes.py) set another hand-off, to run the same services
# over Celery or inline; the product never does.
Handoff = Callable[..., object]


def _handoff_to_huey(task: TaskWrapper, *args: object) -> object:
    return task(*args)


_handoff: Handoff = _handoff_to_huey


def handoff_set(handoff: Handoff | None) -> None:
    """Replace the hand-off: `handoff(task, *args)`; None restores the queue."""
    global _handoff
    _handoff = handoff or _handoff_to_huey


def enqueue_on_commit(task: TaskWrapper, *args: object) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _handoff(task, *args))
