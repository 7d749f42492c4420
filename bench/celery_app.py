"""
The Celery + Redis side of the comparison: a small adapter that runs the
product's own services (verification mail, daily report) as Celery tasks.
Lives here, never in the product.

    celery -A bench.celery_app worker     # the worker
    celery -A bench.celery_app beat       # the scheduler (reconcilers, daily report)
"""

import os
from pathlib import Path

import site

# See manage.py: make the project package importable before Django loads.
site.__path__ = [str(Path(__file__).resolve().parent.parent / "site")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from celery import Celery  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from site.outbox import deliveries_reconcile, deliveries_send  # noqa: E402
from site.registry import kind_get  # noqa: E402

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app = Celery("quick_publisher_bench", broker=BROKER)
app.conf.update(
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        "deliveries-reconcile": {"task": "deliveries_reconcile", "schedule": 60.0},
    },
)


def _with_db(fn):
    def run(*args):
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return run


@app.task(name="delivery_send")
def delivery_send(kind_name, ids):
    """The product's one sender as a Celery task; a row that asks for a retry gets a task of its own."""
    results = _with_db(lambda: deliveries_send(kind=kind_get(kind_name), ids=ids))()
    for pk, result in results.items():
        if result.retry_in is not None:
            delivery_send.apply_async((kind_name, [pk]), countdown=result.retry_in)
    return {pk: result.outcome.value for pk, result in results.items()}


# The product's task names (what services hand off) to the Celery tasks that do the same work.
TASKS = {"delivery_send_task": delivery_send}


@app.task(name="deliveries_reconcile")
def deliveries_reconcile_all():
    for kind, batch in _with_db(lambda: list(deliveries_reconcile(in_flight=set())))():
        delivery_send.delay(kind.name, batch)


_counter = None


@app.task(name="noop")
def noop():
    """The queue-throughput task: count itself in Redis, as the Huey one counts in SQLite."""
    global _counter
    if _counter is None:
        _counter = redis.Redis.from_url(BROKER)
    _counter.incr("bench:done")


# Services called in this worker enqueue through Celery too.
from bench import modes  # noqa: E402

modes.apply("celery")
