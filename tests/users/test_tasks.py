"""Account tasks: thin wrappers that call users.mailings and ask Huey for retries."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

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
    assert 4 <= (retry.eta - timezone.localtime().replace(tzinfo=None)).total_seconds() <= 11


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
