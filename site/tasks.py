"""Consumer housekeeping: the heartbeat row, checkpoints, and a record of task errors."""

import logging

from django.db import DatabaseError
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import HUEY, db_periodic_task, on_startup, signal
from huey.signals import SIGNAL_ERROR

from site.claims import consumer_beat_start, consumers_forget_gone
from site.queue import task_error_record, task_errors_trim
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
