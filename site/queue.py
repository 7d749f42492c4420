"""
The task queue: Huey's SQLite storage with the durability level we chose.

Huey's own `fsync` option offers only FULL (fsync every commit) or OFF (which
can corrupt the file on power loss). In WAL mode, NORMAL is the level between:
no corruption, and a power cut can lose only the last few enqueues, which the
reconcilers re-create from the database's record of what mail is owed.
"""
import os
import socket
import threading

from huey import SqliteHuey
from huey.exceptions import RetryTask
from huey.storage import SqliteStorage


class QueueStorage(SqliteStorage):
    synchronous = "NORMAL"

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


class QueueHuey(SqliteHuey):
    storage_class = QueueStorage


def queued_first_args(task_wrapper):
    """
    First arguments (ids, by convention) of the tasks of one kind now waiting in
    the queue or its schedule: the mail already in flight, which a reconciler
    must not enqueue again.
    """
    huey = task_wrapper.huey
    return {
        task.args[0]
        for task in [*huey.pending(), *huey.scheduled()]
        if isinstance(task, task_wrapper.task_class) and task.args
    }


HEARTBEAT_KEY = "consumer:heartbeat"
ERRORS_KEY = "consumer:errors"
ERRORS_KEPT = 20


def heartbeat_write(huey, now):
    huey.put(HEARTBEAT_KEY, {"at": now, "pid": os.getpid(), "host": socket.gethostname()})


def heartbeat_read(huey):
    """The consumer's last sign of life, or None if it never ran on this queue."""
    return huey.get(HEARTBEAT_KEY, peek=True)


_errors_lock = threading.Lock()


def task_error_record(huey, task, exc, now):
    """Keep the last few unexpected task errors where the admin can read them."""
    with _errors_lock:
        errors = huey.get(ERRORS_KEY, peek=True) or []
        errors.insert(0, {"at": now, "task": type(task).__name__, "id": task.id, "error": f"{type(exc).__name__}: {exc}"[:500]})
        huey.put(ERRORS_KEY, errors[:ERRORS_KEPT])


def task_errors_read(huey):
    return huey.get(ERRORS_KEY, peek=True) or []


def retry_as_asked(result, label):
    """A send task's ending: Huey retries it after the delay delivery_send asked for."""
    outcome, delay = result
    if delay is not None:
        raise RetryTask(f"{label}: {outcome}", delay=delay)
    return outcome
