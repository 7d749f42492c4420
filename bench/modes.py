"""
Swap the product's mail hand-off for a benchmark mode, in whichever process
runs the services (web, Celery worker), so every stack runs the same code.
The one hook is site.queue.handoff_set: services queue every task through it.

- huey:    unchanged (the product).
- celery:  the send tasks go to Celery over Redis (bench/celery_app.py).
- inline:  the task runs inside the request, after commit.
- nomail:  nothing is sent: the floor a signup cannot go below.
- q2:      the send tasks go to django-q2's ORM broker (bench/settings_peers.py).
- tasksdb: the send tasks go to django-tasks' database backend.

`counting=False` switches view counting off, to price it.
"""

import os

import blog.readers
from site.queue import handoff_set

MODES = ("huey", "celery", "inline", "nomail", "q2", "tasksdb")
# The product's task names to the peers' names for the same work (bench/peer_tasks.py).
PEER_TASKS = {"delivery_send_task": "delivery_send"}


def peer_enqueue(name: str, *args: object) -> None:
    """Queue bench.peer_tasks.<name>(*args) on the peer BENCH_MODE names."""
    mode = os.environ.get("BENCH_MODE")
    if mode == "q2":
        from django_q.tasks import async_task

        async_task(f"bench.peer_tasks.{name}", *args)
    elif mode == "tasksdb":
        from bench import peer_tasks_db

        getattr(peer_tasks_db, name).enqueue(*args)
    else:
        raise ValueError(f"no peer queue in mode {mode!r}")


def apply(mode: str, counting: bool = True) -> None:
    if mode == "celery":
        from bench import celery_app

        handoff_set(lambda task, *args, priority=0: celery_app.TASKS[task.func.__name__].delay(*args))
    elif mode == "inline":
        handoff_set(lambda task, *args, priority=0: task.call_local(*args))
    elif mode == "nomail":
        handoff_set(lambda task, *args, priority=0: None)
    elif mode in ("q2", "tasksdb"):
        handoff_set(lambda task, *args, priority=0: peer_enqueue(PEER_TASKS[task.func.__name__], *args))
    elif mode != "huey":
        raise ValueError(f"unknown benchmark mode {mode!r}; one of {MODES}")
    if not counting:
        blog.readers.is_reader = lambda request: False  # Neither the view nor a kept page counts.
