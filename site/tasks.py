"""Consumer housekeeping: a heartbeat for the admin, and a record of task errors."""

from django.utils import timezone
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import HUEY, db_periodic_task, periodic_task, signal
from huey.signals import SIGNAL_ERROR

from site.queue import heartbeat_write, task_error_record
from site.storage import database_checkpoint, queue_checkpoint


# Every minute, and at consumer start (the scheduler's first pass).
@periodic_task(crontab(minute="*"))
def heartbeat_task() -> None:
    heartbeat_write(HUEY, timezone.now())


# Every minute: the WAL files' space goes back to the filesystem, so a disk
# that filled up and was freed is usable at once (see site/storage.py).
@db_periodic_task(crontab(minute="*"))
def checkpoint_task() -> None:
    database_checkpoint()
    queue_checkpoint(HUEY)


@signal(SIGNAL_ERROR)
def on_task_error(signal_name: str, task: Task, exc: BaseException | None = None) -> None:
    task_error_record(HUEY, task, exc, timezone.now())
