"""The queue's configuration and the hand-off from services to tasks (site/queue.py)."""

import pytest
from django.core import mail

from blog.deliveries import POST_MAIL, REPORT
from site import queue
from site.queue import handoff_set
from site.registry import Priority
from site.tasks import deliveries_queue, delivery_send_task
from users import services
from users.deliveries import VERIFICATION

pytestmark = pytest.mark.django_db


def test_huey_is_explicitly_not_immediate_in_settings(settings):
    assert settings.HUEY["immediate"] is False
    assert settings.HUEY["consumer"]["max_delay"] <= 1.0
    assert settings.HUEY["consumer"]["worker_type"] == "thread"


def test_services_hand_tasks_off_after_commit_through_the_one_hook(django_capture_on_commit_callbacks):
    handed = []
    handoff_set(lambda task, *args, priority: handed.append((task, args, priority)))
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
        assert handed == []  # Nothing before the commit.
        for callback in callbacks:
            callback()
    finally:
        handoff_set(None)
    assert handed == [(delivery_send_task, ("verification", [user.verifications.get().pk]), Priority.ACCOUNT)]
    assert mail.outbox == []


def test_the_default_hand_off_queues_the_huey_task(huey_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    [queued] = huey_queue.pending()
    assert isinstance(queued, delivery_send_task.task_class)
    assert queued.args == ("verification", [user.verifications.get().pk])
    assert queued.priority == Priority.ACCOUNT


def test_account_mail_is_taken_before_bulk_mail_queued_earlier(huey_queue):
    deliveries_queue(kind=POST_MAIL, ids=range(1, 1 + 3 * POST_MAIL.batch_size))
    deliveries_queue(kind=REPORT, ids=[7])
    deliveries_queue(kind=VERIFICATION, ids=[41])
    taken = [huey_queue.dequeue().args for _ in range(5)]
    assert taken[0] == ("verification", [41])  # Queued last, taken first, on either engine's storage.
    assert [kind for kind, _ in taken[1:]] == ["post-mail", "post-mail", "post-mail", "report"]  # Bulk in order.


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

    now = [dt.datetime(2026, 10, 25, 0, 55)]  # UTC, naive, as Huey keeps it: 02:55 CEST in Berlin.
    monkeypatch.setattr(huey.utils, "utcnow", lambda: now[0])
    monkeypatch.setattr(huey.api, "utcnow", lambda: now[0])

    # What delivery_send_task does for a row that asks for a retry in 600 s.
    delivery_send_task.schedule(args=("verification", [1]), delay=600.0, priority=Priority.ACCOUNT)
    [scheduled] = huey_queue.pending()  # Its eta set; a consumer moves it to the schedule when it takes it.
    assert scheduled.eta == dt.datetime(2026, 10, 25, 1, 5)
    now[0] = dt.datetime(2026, 10, 25, 1, 4)
    assert not huey_queue.ready_to_run(scheduled)
    now[0] = dt.datetime(2026, 10, 25, 1, 5)
    assert huey_queue.ready_to_run(scheduled)
    berlin = now[0].replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.hour, berlin.minute, berlin.tzname()) == (2, 5, "CET")  # The clock went back meanwhile.


def test_the_reconciler_reads_what_is_in_flight_from_queue_and_schedule_at_once(huey_queue, monkeypatch):
    deliveries_queue(kind=VERIFICATION, ids=[41, 42])
    delivery_send_task.schedule(args=("report", [7]), delay=60)
    reads = []
    real_pending = huey_queue.pending
    monkeypatch.setattr(huey_queue, "pending", lambda: reads.append(1) or real_pending())
    assert queue.queued_deliveries(delivery_send_task) == {("verification", 41), ("verification", 42), ("report", 7)}
    assert len(reads) == 1
