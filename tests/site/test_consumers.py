"""Several consumers on one database: heartbeat rows, the shared schedule, task errors as rows."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from site import claims, tasks  # tasks: registered as run_huey's autodiscovery does
from site.models import Consumer, PeriodicSlot, TaskError
from site.queue import ERRORS_KEPT, MinuteScheduler, periodic_slot_take, task_error_record, task_errors_trim
from site.tasks import delivery_send_task

pytestmark = pytest.mark.django_db

MINUTE = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


def test_a_beat_makes_this_consumers_row_then_refreshes_it_and_a_clean_stop_removes_it():
    claims.consumer_beat()
    row = Consumer.objects.get(pk=claims.consumer_identity())
    Consumer.objects.filter(pk=row.pk).update(seen_at=row.seen_at - timedelta(minutes=5))
    claims.consumer_beat()
    again = Consumer.objects.get(pk=row.pk)
    assert again.seen_at > row.seen_at - timedelta(seconds=1) and again.started_at == row.started_at
    claims.consumer_forget()
    assert not Consumer.objects.exists()


def test_each_scheduled_minute_goes_to_exactly_one_taker():
    assert periodic_slot_take("report", MINUTE)
    assert not periodic_slot_take("report", MINUTE)
    assert periodic_slot_take("checkpoint", MINUTE)  # Another task's minute is its own.
    assert not periodic_slot_take("report", MINUTE - timedelta(minutes=1))  # A late scheduler's past minute.
    assert periodic_slot_take("report", MINUTE + timedelta(minutes=1))
    assert PeriodicSlot.objects.get(name="report").minute == MINUTE + timedelta(minutes=1)


@pytest.mark.postgres_only  # SQLite's test database is in memory; its file takes writers in turn.
@pytest.mark.django_db(transaction=True)
def test_schedulers_racing_for_a_minute_on_their_own_connections_queue_it_once():
    takers, wins = 8, []
    start = threading.Barrier(takers)

    def take():
        start.wait()
        try:
            wins.append(periodic_slot_take("report", MINUTE))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * (takers - 1) + [True]


def test_two_consumers_reading_the_same_minute_get_each_periodic_task_once():
    at = datetime(2026, 12, 4, 7, 0, 30)  # Huey's schedulers pass naive UTC.
    every_minute = {task.name for task in HUEY._registry.periodic_tasks if task.validate_datetime(at)}
    first, second = HUEY.read_periodic(at), HUEY.read_periodic(at + timedelta(seconds=20))
    assert {task.name for task in first} == every_minute and every_minute
    assert second == []
    next_minute = at + timedelta(minutes=1)
    due_next = {task.name for task in HUEY._registry.periodic_tasks if task.validate_datetime(next_minute)}
    assert {task.name for task in HUEY.read_periodic(next_minute)} == due_next


def test_a_restarted_consumers_first_pass_runs_every_due_task_though_the_minute_was_taken(monkeypatch):
    at = datetime(2026, 12, 4, 7, 0, 30)
    every_minute = {task.name for task in HUEY._registry.periodic_tasks if task.validate_datetime(at)}
    for name in every_minute:  # The consumer killed a moment ago had queued this minute's runs.
        assert periodic_slot_take(name, MINUTE)
    monkeypatch.setattr(HUEY, "first_pass_done", False)
    assert {task.name for task in HUEY.read_periodic(at)} == every_minute
    assert HUEY.read_periodic(at + timedelta(seconds=20)) == []  # Later passes share the schedule again.


def test_each_consumer_reaches_for_every_minute_at_its_start_and_once(monkeypatch):
    assert HUEY.create_consumer(workers=1).scheduler_class is MinuteScheduler
    asked = []
    monkeypatch.setattr(HUEY, "read_periodic", lambda stamp: asked.append(stamp) or [])
    scheduler = MinuteScheduler(HUEY, threading.Event(), 1, True)
    start = datetime(2026, 12, 4, 7, 0, 59)
    for seconds in (0, 1, 2, 30, 61, 62, 31):  # Huey's loop calls it every second; the last, a clock stepped back.
        scheduler.enqueue_periodic_tasks(start + timedelta(seconds=seconds))
    # 07:00:59 (start-up), then 07:01:00 as that minute begins, then 07:02:00: never a minute twice.
    assert asked == [start, start + timedelta(seconds=1), start + timedelta(seconds=61)]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_drops_a_dead_database_connection_before_each_minute(monkeypatch):
    # After a database restart the thread's old connection is unusable; Django replaces it only if asked.
    checked = []
    monkeypatch.setattr("site.queue.close_old_connections", lambda: checked.append(True))
    monkeypatch.setattr(HUEY, "read_periodic", lambda stamp: [])
    scheduler = MinuteScheduler(HUEY, threading.Event(), 1, True)
    for seconds in (0, 1, 60):
        scheduler.enqueue_periodic_tasks(datetime(2026, 12, 4, 7, 0, 0) + timedelta(seconds=seconds))
    assert checked == [True, True]


def test_a_database_that_refuses_the_slot_still_runs_the_housekeeping(monkeypatch):
    # A full disk must not stop the checkpoints that give space back.
    def refuse(name, minute):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr("site.queue.periodic_slot_take", refuse)
    at = datetime(2026, 12, 4, 7, 0, 30)
    assert {task.name for task in HUEY.read_periodic(at)} >= {tasks.checkpoint_task.s().name}


def test_task_errors_are_rows_any_consumer_writes_and_only_the_latest_are_kept():
    for n in range(ERRORS_KEPT + 5):
        task_error_record(delivery_send_task.s("verification", [n]), ValueError(f"boom {n}"))
    TaskError.objects.update(at=timezone.now() - timedelta(hours=1))
    TaskError.objects.filter(error__in=[f"ValueError: boom {n}" for n in range(5, ERRORS_KEPT + 5)]).update(
        at=timezone.now()
    )
    assert task_errors_trim() == 5
    assert TaskError.objects.count() == ERRORS_KEPT
    assert not TaskError.objects.filter(error="ValueError: boom 0").exists()
    assert TaskError.objects.first().consumer == claims.consumer_identity()


def test_consumers_gone_a_week_are_forgotten():
    now = timezone.now()
    Consumer.objects.create(id="old", host="h", pid=1, started_at=now, seen_at=now - timedelta(days=8))
    Consumer.objects.create(id="recent", host="h", pid=2, started_at=now, seen_at=now - timedelta(days=6))
    assert claims.consumers_forget_gone() == 1
    assert list(Consumer.objects.values_list("pk", flat=True)) == ["recent"]
