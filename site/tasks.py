"""Consumer housekeeping: a heartbeat for the admin, and a record of task errors."""

from django.utils import timezone
from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import HUEY, periodic_task, signal
from huey.signals import SIGNAL_ERROR

from site.queue import heartbeat_write, task_error_record


# Every minute, and at consumer start (the scheduler's first pass).
@periodic_task(crontab(minute="*"))
def heartbeat_task() -> None:
    heartbeat_write(HUEY, timezone.now())


@signal(SIGNAL_ERROR)
def on_task_error(signal_name: str, task: Task, exc: BaseException | None = None) -> None:
    task_error_record(HUEY, task, exc, timezone.now())
