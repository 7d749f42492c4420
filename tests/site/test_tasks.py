"""The one send task and the one reconciler task (site/tasks.py), through verification mail."""

import time
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail

from site.registry import Priority
from site.tasks import deliveries_reconcile_task, delivery_send_task

pytestmark = pytest.mark.django_db


def test_send_task_sends_the_owed_mail(owed_verification):
    verification = owed_verification()
    delivery_send_task("verification", [verification.pk])
    assert len(mail.outbox) == 1
    verification.refresh_from_db()
    assert verification.sent_at is not None


def test_send_task_schedules_a_capped_jittered_retry_on_smtp_trouble(owed_verification, huey_inline):
    verification = owed_verification()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("slow")):
        delivery_send_task("verification", [verification.pk])
    [retry] = huey_inline.scheduled()
    assert isinstance(retry, delivery_send_task.task_class) and retry.args == ("verification", [verification.pk])
    assert retry.priority == Priority.ACCOUNT  # A retry keeps its kind's place ahead of bulk mail.
    assert 4 <= (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() <= 11


def test_retries_keep_time_in_utc_whatever_the_local_clock_says(owed_verification, huey_inline, monkeypatch):
    # The autumn night in Berlin when 02:00-03:00 happens twice; the queue must not care.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("slow")):
            delivery_send_task("verification", [owed_verification().pk])
        [retry] = huey_inline.scheduled()
        assert 4 <= (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() <= 11
    finally:
        monkeypatch.undo()
        time.tzset()


def test_reconcile_task_requeues_lost_mail(owed_verification):
    owed_verification()
    deliveries_reconcile_task.call_local()
    assert len(mail.outbox) == 1


def test_reconcile_task_skips_mail_already_queued(owed_verification, huey_queue):
    verification = owed_verification()
    delivery_send_task("verification", [verification.pk])
    deliveries_reconcile_task.call_local()
    assert [task.args for task in huey_queue.pending()] == [("verification", [verification.pk])]
    assert mail.outbox == []
