"""
Swap the product's mail hand-off for a benchmark mode, in whichever process
runs the services (web, Celery worker), so every stack runs the same code.
The one hook is site.queue.handoff_set: services queue every task through it.

- huey:    unchanged (the product).
- celery:  the send tasks go to Celery over Redis (bench/celery_app.py).
- inline:  the task runs inside the request, after commit.
- nomail:  nothing is sent: the floor a signup cannot go below.

`counting=False` switches view counting off, to price it.
"""

import blog.readers
from site.queue import handoff_set

MODES = ("huey", "celery", "inline", "nomail")


def apply(mode: str, counting: bool = True) -> None:
    if mode == "celery":
        from bench import celery_app

        handoff_set(lambda task, *args: celery_app.TASKS[task.func.__name__].delay(*args))
    elif mode == "inline":
        handoff_set(lambda task, *args: task.call_local(*args))
    elif mode == "nomail":
        handoff_set(lambda task, *args: None)
    elif mode != "huey":
        raise ValueError(f"unknown benchmark mode {mode!r}; one of {MODES}")
    if not counting:
        blog.readers.read_counts = lambda request, post: False
