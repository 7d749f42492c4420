"""
The consumer's side of every delivery kind (one send task, one reconciler),
and its housekeeping: the heartbeat row, checkpoints, and a record of task errors.
"""

import logging
from collections.abc import Iterable

from django.db import DatabaseError
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup, signal
from huey.signals import SIGNAL_ERROR

from site.claims import consumer_beat_start, consumers_forget_gone
from site.outbox import Outcome, batches, deliveries_reconcile, deliveries_send
from site.queue import enqueue, enqueue_on_commit, queued_deliveries, task_error_record, task_errors_trim
from site.registry import DeliveryKind, kind_get
from site.storage import database_checkpoint, queue_checkpoint

logger = logging.getLogger(__name__)


# Each worker runs the startup hooks; the heartbeat starts once per process.
@on_startup()
def heartbeat_start() -> None:
    consumer_beat_start()


# Every minute: the WAL files' space goes back to the filesystem, so a disk
# that filled up and was freed is usable at once (see site/storage.py).
@db_periodic_task(crontab(minute="*"))
def checkpoint_task() -> None:
    database_checkpoint()
    queue_checkpoint(HUEY)


@db_periodic_task(crontab(minute="17"))
def forget_task() -> None:
    consumers_forget_gone()
    task_errors_trim()


@signal(SIGNAL_ERROR)
def on_task_error(signal_name: str, task: Task, exc: BaseException | None = None) -> None:
    try:
        task_error_record(task, exc)
    except DatabaseError as error:  # The error is in the consumer's log either way.
        logger.warning("task error not recorded: %s", error)


@db_task()
def delivery_send_task(kind_name: str, ids: list[int]) -> dict[int, str]:
    """Send a batch of one kind; each row that asks for a retry gets a task of its own, after its delay."""
    kind = kind_get(kind_name)
    results = deliveries_send(kind=kind, ids=ids)
    for pk, result in results.items():
        if result.outcome is Outcome.RETRY:
            delivery_send_task.schedule(args=(kind.name, [pk]), delay=result.retry_in, priority=kind.priority or None)
    return {pk: result.outcome.value for pk, result in results.items()}


def deliveries_queue(*, kind: DeliveryKind, ids: Iterable[int]) -> None:
    """Queue sends of these owed rows now, a task per batch, at the kind's priority."""
    for batch in batches(ids, kind.batch_size):
        enqueue(delivery_send_task, kind.name, batch, priority=kind.priority)


def deliveries_queue_on_commit(*, kind: DeliveryKind, ids: Iterable[int]) -> None:
    """What a service calls once it has owed rows: their sends are queued when its transaction commits."""
    for batch in batches(ids, kind.batch_size):
        enqueue_on_commit(delivery_send_task, kind.name, batch, priority=kind.priority)


# Every minute and at consumer start (the scheduler's first pass runs every
# due task): every kind's lost sends, dead claims and work made outside the
# normal path, most urgent kind first.
@db_periodic_task(crontab(minute="*"))
def deliveries_reconcile_task() -> None:
    for kind, batch in deliveries_reconcile(in_flight=queued_deliveries(delivery_send_task)):
        deliveries_queue(kind=kind, ids=batch)
