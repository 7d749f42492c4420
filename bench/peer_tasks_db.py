"""bench/peer_tasks.py as django-tasks tasks (importable only with django_tasks installed)."""

from django_tasks import task

from bench import peer_tasks


@task()
def verification_send(verification_id):
    return peer_tasks.verification_send(verification_id)


@task()
def verification_reconcile():
    peer_tasks.verification_reconcile()


@task()
def noop():
    peer_tasks.noop()
