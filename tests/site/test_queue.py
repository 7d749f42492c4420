"""The queue's configuration and the hand-off from services to tasks (site/queue.py)."""

import pytest
from django.core import mail
from huey.exceptions import RetryTask

from site import queue
from site.outbox import Outcome, SendResult
from site.queue import handoff_set, retry_as_asked
from users import services, tasks

pytestmark = pytest.mark.django_db


def test_huey_is_explicitly_not_immediate_in_settings(settings):
    assert settings.HUEY["immediate"] is False
    assert settings.HUEY["consumer"]["max_delay"] <= 1.0
    assert settings.HUEY["consumer"]["worker_type"] == "thread"


def test_a_retry_result_becomes_a_huey_retry_after_its_delay():
    with pytest.raises(RetryTask) as retry:
        retry_as_asked(SendResult(Outcome.RETRY, retry_in=42.0), "mail 1")
    assert retry.value.delay == 42.0
    for outcome in (Outcome.SENT, Outcome.SKIPPED, Outcome.FAILED, Outcome.RECONCILE):
        assert retry_as_asked(SendResult(outcome), "mail 1") is outcome


def test_services_hand_tasks_off_after_commit_through_the_one_hook(django_capture_on_commit_callbacks):
    handed = []
    handoff_set(lambda task, *args: handed.append((task, args)))
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
        assert handed == []  # Nothing before the commit.
        for callback in callbacks:
            callback()
    finally:
        handoff_set(None)
    assert handed == [(tasks.verification_send_task, (user.verifications.get().pk,))]
    assert mail.outbox == []


def test_the_default_hand_off_queues_the_huey_task(huey_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    [queued] = huey_queue.pending()
    assert isinstance(queued, tasks.verification_send_task.task_class)
    assert queued.args == (user.verifications.get().pk,)


def test_a_retry_across_the_autumn_clock_change_waits_its_ten_minutes(huey_queue, monkeypatch):
    """
    Huey runs in UTC (settings.HUEY["utc"]): a 10-minute retry asked at 02:55
    CEST on the night clocks go back runs ten minutes later, at 02:05 CET. In
    naive local time its due time would be 03:05, an hour and ten minutes away.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    import huey.api
    import huey.utils

    from site.queue import retry_as_asked as retry

    now = [dt.datetime(2026, 10, 25, 0, 55)]  # UTC, naive, as Huey keeps it: 02:55 CEST in Berlin.
    monkeypatch.setattr(huey.utils, "utcnow", lambda: now[0])
    monkeypatch.setattr(huey.api, "utcnow", lambda: now[0])

    @huey_queue.task(name="tests.flaky_across_dst")
    def flaky() -> None:
        retry(SendResult(Outcome.RETRY, retry_in=600.0), "mail 1")

    huey_queue.execute(flaky.s())
    [scheduled] = huey_queue.scheduled()
    assert scheduled.eta == dt.datetime(2026, 10, 25, 1, 5)
    now[0] = dt.datetime(2026, 10, 25, 1, 4)
    assert not huey_queue.ready_to_run(scheduled)
    now[0] = dt.datetime(2026, 10, 25, 1, 5)
    assert huey_queue.ready_to_run(scheduled)
    berlin = now[0].replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.hour, berlin.minute, berlin.tzname()) == (2, 5, "CET")  # The clock went back meanwhile.


def test_reconcilers_in_one_minute_share_one_read_of_the_queue(huey_queue, monkeypatch):
    from blog import tasks as blog_tasks
    from users import tasks as users_tasks

    users_tasks.verification_send_task(41)
    reads = []
    real_pending = huey_queue.pending
    monkeypatch.setattr(huey_queue, "pending", lambda: reads.append(1) or real_pending())
    assert queue.queued_first_args(users_tasks.verification_send_task) == {41}
    assert queue.queued_first_args(blog_tasks.report_send_task) == set()
    queue.requeue(blog_tasks.report_send_task, [7], "report(s)")
    assert queue.queued_first_args(blog_tasks.report_send_task) == {7}  # What a reconciler queued counts at once.
    assert len(reads) == 1
