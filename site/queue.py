"""
The task queue: Huey's SQLite storage on one box, its PostgreSQL storage in
the site's own database past one box, and what every consumer shares through
the database: which of them queues each periodic run, and the task errors.

Huey's own `fsync` option offers only FULL (fsync every commit) or OFF (which
can corrupt the file on power loss). In WAL mode, NORMAL is the level between:
no corruption, and a power cut can lose only the last few enqueues, which the
reconcilers re-create from the database's record of what mail is owed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, connections, transaction
from django.utils import timezone
from huey import Huey, SqliteHuey
from huey.api import PeriodicTask, Task, TaskWrapper
from huey.consumer import Consumer, Scheduler
from huey.storage import PostgresStorage, SqliteStorage

from site.claims import consumer_identity
from site.models import PeriodicSlot, TaskError
from site.storage import write_failure_log

logger = logging.getLogger(__name__)


class QueueStorage(SqliteStorage):
    synchronous = "NORMAL"

    def _create_connection(self) -> sqlite3.Connection:
        conn = super()._create_connection()
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


def periodic_slot_take(name: str, minute: datetime) -> bool:
    """
    Whether this consumer queues the run of periodic task `name` scheduled for
    `minute`: every consumer's scheduler asks, and one conditional UPDATE on
    the task's row (or its first INSERT) lets exactly one of them win, on any
    engine and any number of machines.
    """
    if PeriodicSlot.objects.filter(name=name, minute__lt=minute).update(minute=minute):
        return True
    try:
        with transaction.atomic():
            PeriodicSlot.objects.create(name=name, minute=minute)
    except IntegrityError:
        return False  # Its row exists and another consumer already took this minute.
    return True


class SharedSchedule:
    """
    Periodic runs queued once per scheduled minute across every consumer (no
    `-n` needed), except a consumer's first pass at start-up, which runs
    every due task: a consumer restarted after a kill reconciles at once, as
    Huey alone does, even when the killed one had taken this minute.
    """

    first_pass_done = False

    def create_consumer(self, **options: object) -> Consumer:
        return QueueConsumer(self, **options)

    def read_periodic(self, timestamp: datetime | None) -> list[PeriodicTask]:
        # One moment for both the crontab check and the slot, even across a minute's edge.
        stamp = timestamp or self._get_timestamp()  # type: ignore[attr-defined]
        due = super().read_periodic(stamp)  # type: ignore[misc]
        first_pass, self.first_pass_done = not self.first_pass_done, True
        if not due:
            return due
        minute = stamp.replace(second=0, microsecond=0, tzinfo=stamp.tzinfo or UTC)
        try:
            taken = [task for task in due if periodic_slot_take(task.name, minute)]
        except DatabaseError as exc:
            # A full disk, say: run them all rather than none. Every periodic
            # task is safe to run twice, and the checkpoints give space back.
            write_failure_log("the periodic schedule's slots", exc)
            return due
        if first_pass and len(taken) < len(due):
            logger.info(
                "start-up pass: running every due periodic task, %d already taken this minute", len(due) - len(taken)
            )
            return due
        return taken


class MinuteScheduler(Scheduler):
    """
    Huey's scheduler looks at the periodic tasks every 60 s from its own
    start, so with several consumers each minute went to whichever had
    started earliest within it, and when that one was killed the next run
    could be two minutes away. This one looks every second and acts on each
    minute once, at its start: every consumer reaches for the minute as it
    begins, and the shared schedule gives it to one of them.
    """

    periodic_task_seconds = 1
    minute: datetime | None = None

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        stamp = now or self.huey._get_timestamp()
        minute = stamp.replace(second=0, microsecond=0)
        if self.minute is not None and minute <= self.minute:
            return  # This minute is done (or the clock stepped back into one that was).
        self.minute = minute
        # The slots are Django queries on this thread's own connection: after a
        # database restart it must be replaced, as djhuey's db_task does for
        # workers. (Not inside a transaction, as in the tests.)
        if not connection.in_atomic_block:
            close_old_connections()
        super().enqueue_periodic_tasks(stamp)


class QueueConsumer(Consumer):
    scheduler_class = MinuteScheduler


class QueueHuey(SharedSchedule, SqliteHuey):
    storage_class = QueueStorage


def queue_connection() -> psycopg.Connection:
    """
    A connection to whatever database Django uses now: the site's, or in tests
    the test database, so the queue's tables are always beside the data.
    """
    params = connections["default"].get_connection_params()
    # Django's own cursor class and adapters are for its ORM; Huey's storage
    # speaks plain psycopg.
    for django_only in ("cursor_factory", "context"):
        params.pop(django_only, None)
    return psycopg.connect(**params)


class QueuePostgresStorage(PostgresStorage):
    """
    Huey's PostgreSQL storage in the site's database. Its tables are made by
    a migration (site 0003), not at import, so a management command that
    never touches the queue does not need the database to start.
    """

    def __init__(self, name: str = "huey", **kwargs) -> None:
        kwargs.setdefault("connection", queue_connection)
        kwargs["create_tables"] = False
        super().__init__(name, **kwargs)


class QueuePostgresHuey(SharedSchedule, Huey):
    storage_class = QueuePostgresStorage


def queued_deliveries(task_wrapper: TaskWrapper) -> set[tuple[str, int]]:
    """
    The (kind, id) pairs that send tasks now waiting in the queue or its
    schedule cover: deliveries in flight, which the reconciler must not queue
    again. One read of the queue per reconciler run; anything queued meanwhile
    is at worst queued twice, which the claim on the owed row makes harmless.
    """
    return {
        (task.args[0], pk)
        for task in [*task_wrapper.huey.pending(), *task_wrapper.huey.scheduled()]
        if isinstance(task, task_wrapper.task_class)
        for pk in task.args[1]
    }


ERRORS_KEPT = 100


def task_error_record(task: Task, exc: BaseException | None) -> None:
    """Keep an unexpected task error where the admin can read it: a row, whichever consumer ran the task."""
    TaskError.objects.create(
        at=timezone.now(),
        task=type(task).__name__,
        task_id=task.id,
        consumer=consumer_identity(),
        error=f"{type(exc).__name__}: {exc}"[:2000],
    )


def task_errors_trim() -> int:
    """Keep the latest ERRORS_KEPT errors."""
    errors = TaskError.objects
    kept = list(errors.recent().values_list("pk", flat=True)[:ERRORS_KEPT])
    deleted, _ = errors.exclude(pk__in=kept).delete()
    return deleted


# How a service hands a task to the queue once its transaction commits. The
# benchmarks (bench/modes.py) set another hand-off, to run the same services
# over Celery or inline; the product never does.
Handoff = Callable[..., object]


def _handoff_to_huey(task: TaskWrapper, *args: object, priority: int = 0) -> object:
    return task.huey.enqueue(task.s(*args, priority=priority or None))


_handoff: Handoff = _handoff_to_huey


def handoff_set(handoff: Handoff | None) -> None:
    """Replace the hand-off: `handoff(task, *args, priority=...)`; None restores the queue."""
    global _handoff
    _handoff = handoff or _handoff_to_huey


def enqueue(task: TaskWrapper, *args: object, priority: int = 0) -> None:
    """Queue `task(*args)` now (higher priorities are taken first)."""
    _handoff(task, *args, priority=priority)


def enqueue_on_commit(task: TaskWrapper, *args: object, priority: int = 0) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _handoff(task, *args, priority=priority))
