"""
The product's verification mail as a task of each peer queue: django-q2 runs
these functions by dotted path; django-tasks runs their @task twins in
bench/peer_tasks_db.py (a task must be importable under its own name).
Ids in, the product's own service does the work, as in bench/celery_app.py.
"""

from django.db import close_old_connections, connection

from users import mailings

COUNTER = "bench_done"


def verification_send(verification_id):
    close_old_connections()
    return mailings.verification_send(verification_id=verification_id).outcome.value


def verification_reconcile():
    """The product's reconciler, queueing what it finds through the peer."""
    from bench.modes import peer_enqueue

    for pk in mailings.verification_reconcile(in_flight_ids=set()):
        peer_enqueue("verification_send", pk)


def noop():
    """The throughput task: counts itself in one row of the database both peers use."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {COUNTER} SET n = n + 1")
