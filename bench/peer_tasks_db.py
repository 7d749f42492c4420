"""bench/peer_tasks.py as django-tasks tasks (importable only with django_tasks installed)."""

from django_tasks import task

from bench import peer_tasks


@task()
def delivery_send(kind_name, ids):
    return peer_tasks.delivery_send(kind_name, ids)


@task()
def deliveries_reconcile_all():
    peer_tasks.deliveries_reconcile_all()


@task()
def noop():
    peer_tasks.noop()
