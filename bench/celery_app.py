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

from blog import reports  # noqa: E402
from users import mailings  # noqa: E402

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app = Celery("quick_publisher_bench", broker=BROKER)
app.conf.update(
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        "verification-reconcile": {"task": "verification_reconcile", "schedule": 60.0},
        "report-reconcile": {"task": "report_reconcile", "schedule": 60.0},
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


def _send_task(name, send):
    """A Celery task around one of the product's send services, retrying as it asks."""

    @app.task(name=name, bind=True, max_retries=None)
    def task(self, pk):
        result = _with_db(lambda: send(pk))()
        if result.retry_in is not None:
            raise self.retry(countdown=result.retry_in)
        return result.outcome.value

    return task


verification_send = _send_task("verification_send", lambda pk: mailings.verification_send(verification_id=pk))
report_send = _send_task("report_send", lambda pk: reports.report_send(report_id=pk))
# The product's task names (what services hand off) to the Celery tasks that do the same work.
TASKS = {"verification_send_task": verification_send, "report_send_task": report_send}


@app.task(name="verification_reconcile")
def verification_reconcile():
    for pk in _with_db(lambda: mailings.verification_reconcile(in_flight_ids=set()))():
        verification_send.delay(pk)


@app.task(name="report_reconcile")
def report_reconcile():
    for pk in _with_db(lambda: reports.report_reconcile(in_flight_ids=set()))():
        report_send.delay(pk)


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
