"""Account tasks: thin wrappers that call users.mailings and ask Huey for retries."""

import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail

from users import tasks

pytestmark = pytest.mark.django_db


def test_send_task_sends_the_owed_mail(owed_verification):
    verification = owed_verification()
    tasks.verification_send_task(verification.pk)
    assert len(mail.outbox) == 1
    verification.refresh_from_db()
    assert verification.sent_at is not None


def test_send_task_schedules_a_capped_jittered_retry_on_smtp_trouble(owed_verification, huey_inline):
    verification = owed_verification()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("slow")):
        tasks.verification_send_task(verification.pk)
    [retry] = huey_inline.scheduled()
    assert isinstance(retry, tasks.verification_send_task.task_class) and retry.args == (verification.pk,)
    assert 4 <= (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() <= 11


def test_retries_keep_time_in_utc_whatever_the_local_clock_says(owed_verification, huey_inline, monkeypatch):
    # The autumn night in Berlin when 02:00-03:00 happens twice; the queue must not care.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("slow")):
            tasks.verification_send_task(owed_verification().pk)
        [retry] = huey_inline.scheduled()
        assert 4 <= (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() <= 11
    finally:
        monkeypatch.undo()
        time.tzset()


def test_reconcile_task_requeues_lost_mail(owed_verification):
    owed_verification()
    tasks.verification_reconcile_task.call_local()
    assert len(mail.outbox) == 1


def test_reconcile_task_skips_mail_already_queued(owed_verification, huey_queue):
    verification = owed_verification()
    tasks.verification_send_task(verification.pk)
    tasks.verification_reconcile_task.call_local()
    assert [task.args for task in huey_queue.pending()] == [(verification.pk,)]
    assert mail.outbox == []


def test_expired_sessions_are_purged_and_live_ones_kept():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    live, old = SessionStore(), SessionStore()
    live["x"], old["x"] = 1, 2
    live.create()
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=datetime.now(UTC) - timedelta(days=1))
    tasks.sessions_purge_task.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
