"""Tasks in Huey's immediate mode: thin wrappers that call services and ask for retries."""
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from blog import tasks as blog_tasks
from blog.models import Post, Report
from users import tasks as user_tasks
from users.models import EmailVerification

pytestmark = pytest.mark.django_db


def test_huey_is_explicitly_not_immediate_in_settings(settings):
    assert settings.HUEY["immediate"] is False
    assert settings.HUEY["consumer"]["max_delay"] <= 1.0
    assert settings.HUEY["consumer"]["worker_type"] == "thread"


def test_send_task_sends_the_owed_mail(user):
    verification = EmailVerification.objects.create(user=user, email=user.email)
    user_tasks.verification_send_task(verification.pk)
    assert len(mail.outbox) == 1
    verification.refresh_from_db()
    assert verification.sent_at is not None


def test_send_task_schedules_a_capped_jittered_retry_on_smtp_trouble(user):
    verification = EmailVerification.objects.create(user=user, email=user.email)
    before = HUEY.scheduled_count()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=TimeoutError("slow")):
        user_tasks.verification_send_task(verification.pk)
    scheduled = HUEY.scheduled()
    assert HUEY.scheduled_count() == before + 1
    retry = scheduled[-1]
    assert isinstance(retry, user_tasks.verification_send_task.task_class) and retry.args == (verification.pk,)
    assert 4 <= (retry.eta - timezone.localtime().replace(tzinfo=None)).total_seconds() <= 11
    HUEY.storage.flush_schedule()


def test_reconcile_task_requeues_lost_mail(user):
    EmailVerification.objects.create(user=user, email=user.email)
    user_tasks.verification_reconcile_task.call_local()
    assert len(mail.outbox) == 1


def test_reconcile_task_skips_mail_already_queued(user):
    verification = EmailVerification.objects.create(user=user, email=user.email)
    HUEY.immediate = False  # A real queue file (in the test DATA_DIR), not run inline.
    try:
        HUEY.flush()
        user_tasks.verification_send_task(verification.pk)
        user_tasks.verification_reconcile_task.call_local()
        assert [task.args for task in HUEY.pending()] == [(verification.pk,)]
    finally:
        HUEY.flush()
        HUEY.immediate = True
    assert mail.outbox == []


def test_daily_task_reports_yesterday(author, django_capture_on_commit_callbacks):
    Post.objects.create(author=author, title="Old post", content="x", published_at=timezone.now() - timezone.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        blog_tasks.report_daily_task.call_local()
    assert Report.objects.get().day == timezone.localdate() - timezone.timedelta(days=1)
    assert len(mail.outbox) == 1


def test_report_schedule_follows_report_time(settings):
    from datetime import datetime

    validate = blog_tasks.report_daily_task.task_class().validate_datetime
    assert validate(datetime(2026, 5, 1, settings.REPORT_HOUR, settings.REPORT_MINUTE))
    assert not validate(datetime(2026, 5, 1, (settings.REPORT_HOUR + 1) % 24, settings.REPORT_MINUTE))
