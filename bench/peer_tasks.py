"""
The product's delivery sender and reconciler as tasks of each peer queue:
django-q2 runs these functions by dotted path; django-tasks runs their @task
twins in bench/peer_tasks_db.py (a task must be importable under its own
name). Ids in, the product's own sender does the work, as in bench/celery_app.py.
"""

from django.db import close_old_connections, connection

from site.outbox import deliveries_reconcile, deliveries_send
from site.registry import kind_get

COUNTER = "bench_done"


def delivery_send(kind_name, ids):
    close_old_connections()
    results = deliveries_send(kind=kind_get(kind_name), ids=ids)
    return {pk: result.outcome.value for pk, result in results.items()}


def deliveries_reconcile_all():
    """The product's reconciler, queueing what it finds through the peer."""
    from bench.modes import peer_enqueue

    for kind, batch in deliveries_reconcile(in_flight=set()):
        peer_enqueue("delivery_send", kind.name, batch)


def noop():
    """The throughput task: counts itself in one row of the database both peers use."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {COUNTER} SET n = n + 1")
