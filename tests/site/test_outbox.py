"""The owed-mail send protocol (site/outbox.py), through verification mail as a concrete kind."""

import os
import shutil
import smtplib
import socket
import subprocess
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from blog.deliveries import POST_MAIL
from blog.models import PostMail, Subscriber
from site import claims, outbox
from site.claims import CLAIM_LEASE, claims_release_dead, consumer_identity, pid_space, process_started
from site.models import Consumer
from site.outbox import Outcome, SendResult, delivery_send
from users.deliveries import VERIFICATION
from users.models import EmailVerification

pytestmark = pytest.mark.django_db

SEND = "django.core.mail.EmailMultiAlternatives.send"


def test_a_result_says_retry_exactly_when_it_carries_a_delay():
    assert SendResult(Outcome.RETRY, retry_in=12.0).retry_in == 12.0
    for outcome in (Outcome.SENT, Outcome.SKIPPED, Outcome.FAILED, Outcome.RECONCILE):
        with pytest.raises(ValueError, match="retry_in"):
            SendResult(outcome, retry_in=5)
    with pytest.raises(ValueError, match="retry_in"):
        SendResult(Outcome.RETRY)


def test_transient_smtp_failure_keeps_mail_owed_and_asks_for_a_retry(owed_verification):
    verification = owed_verification()
    with mock.patch(SEND, side_effect=ConnectionRefusedError("down")):
        result = delivery_send(kind=VERIFICATION, pk=verification.pk)
    verification.refresh_from_db()
    assert result.outcome is Outcome.RETRY and 5 <= result.retry_in <= 10
    assert verification.sent_at is None and verification.failed_at is None
    assert "down" in verification.last_error and verification.attempts == 1
    assert verification.claimed_until is None and verification.retry_at > timezone.now()


def test_a_second_task_for_a_mail_waiting_to_retry_skips_and_costs_no_attempt(owed_verification):
    # Several consumers' start-up reconcilers can each queue the same owed mail.
    verification = owed_verification()
    with mock.patch(SEND, side_effect=ConnectionRefusedError("down")):
        delivery_send(kind=VERIFICATION, pk=verification.pk)
    with mock.patch(SEND) as send:
        assert delivery_send(kind=VERIFICATION, pk=verification.pk) == SendResult(Outcome.SKIPPED)
    send.assert_not_called()
    verification.refresh_from_db()
    assert verification.attempts == 1 and verification.retry_at > timezone.now()


def test_past_the_retry_budget_the_reconciler_takes_over(owed_verification):
    verification = owed_verification(attempts=VERIFICATION.retry.budget - 1)
    with mock.patch(SEND, side_effect=TimeoutError("slow")):
        result = delivery_send(kind=VERIFICATION, pk=verification.pk)
    assert result == SendResult(Outcome.RECONCILE)
    verification.refresh_from_db()
    assert verification.attempts == VERIFICATION.retry.budget and verification.sent_at is None
    # Still owed: once retry_at passes, the reconciler queues it again.
    assert EmailVerification.objects.owed().due(verification.retry_at + timedelta(seconds=1)).get() == verification
    assert not EmailVerification.objects.owed().due().exists()


def test_permanent_rejection_marks_the_mail_failed(user, owed_verification):
    verification = owed_verification()
    refused = smtplib.SMTPRecipientsRefused({user.email: (550, b"no such user")})
    with mock.patch(SEND, side_effect=refused):
        assert delivery_send(kind=VERIFICATION, pk=verification.pk) == SendResult(Outcome.FAILED)
    verification.refresh_from_db()
    assert verification.failed_at is not None
    assert EmailVerification.objects.owed().count() == 0


def test_a_live_claim_is_not_sent_twice(owed_verification):
    verification = owed_verification(claimed_until=timezone.now() + timedelta(minutes=5), claimed_by="elsewhere:1")
    with mock.patch(SEND) as send:
        assert delivery_send(kind=VERIFICATION, pk=verification.pk) == SendResult(Outcome.SKIPPED)
    send.assert_not_called()


def test_claims_of_quiet_consumers_are_freed_and_live_ones_kept(owed_verification, make_user):
    now = timezone.now()
    Consumer.objects.create(id="live", host="mail-2", pid=1, started_at=now, seen_at=now - timedelta(seconds=20))
    Consumer.objects.create(id="quiet", host="mail-3", pid=1, started_at=now, seen_at=now - timedelta(seconds=70))

    def claim(email, owner, age):
        return owed_verification(make_user(email=email), claimed_by=owner, claimed_until=now + CLAIM_LEASE - age)

    mine = claim("a@x.org", consumer_identity(), timedelta(minutes=5))
    live = claim("b@x.org", "live", timedelta(minutes=5))
    quiet = claim("c@x.org", "quiet", timedelta(minutes=2))
    gone = claim("d@x.org", f"{socket.gethostname()}:1", timedelta(minutes=2))  # No row at all (an old-style claim).
    fresh = claim("e@x.org", "quiet", timedelta(seconds=10))  # Claimed just now: not judged yet.
    assert claims_release_dead(model=EmailVerification) == 2
    assert {v.pk for v in EmailVerification.objects.unclaimed()} == {quiet.pk, gone.pk}
    assert {v.pk for v in EmailVerification.objects.exclude(claimed_by="")} == {mine.pk, live.pk, fresh.pk}


def test_claims_of_a_consumer_that_ended_in_this_process_table_are_freed_at_once(owed_verification, make_user):
    assert pid_space(), "the suite runs on Linux with its own /proc"
    now = timezone.now()
    running = subprocess.Popen(["sleep", "60"])
    ended = subprocess.Popen(["true"])
    ended.wait()
    try:

        def consumer(name, pid, started, space=None):
            Consumer.objects.create(
                id=name,
                host="here",
                pid=pid,
                pid_space=space or pid_space(),
                pid_started=started,
                started_at=now,
                seen_at=now,
            )
            # Claimed ten seconds ago, heard from just now: the quiet rule alone would keep every one.
            return owed_verification(
                make_user(email=f"{name}@x.org"),
                claimed_by=name,
                claimed_until=now + CLAIM_LEASE - timedelta(seconds=10),
            )

        alive = consumer("running", running.pid, process_started(running.pid))
        gone = consumer("ended", ended.pid, 12345)
        reused = consumer("reused", running.pid, process_started(running.pid) - 1)  # Its pid now names another process.
        elsewhere = consumer("elsewhere", ended.pid, 12345, space="another-boot pid:[4026531836]")
        assert claims_release_dead(model=EmailVerification) == 2
        assert {v.pk for v in EmailVerification.objects.unclaimed()} == {gone.pk, reused.pk}
        assert {v.pk for v in EmailVerification.objects.exclude(claimed_by="")} == {alive.pk, elsewhere.pk}
    finally:
        running.kill()
        running.wait()


def test_a_consumer_seen_ended_on_its_machine_has_its_claims_freed_by_any_machine(
    owed_verification, make_user, monkeypatch
):
    now = timezone.now()
    ended = subprocess.Popen(["true"])
    ended.wait()
    here = pid_space()
    for name, pid, started in (("gone", ended.pid, 12345), ("beside", os.getpid(), process_started(os.getpid()))):
        Consumer.objects.create(
            id=name, host="box", pid=pid, pid_space=here, pid_started=started, started_at=now, seen_at=now
        )
        owed_verification(
            make_user(email=f"{name}@x.org"), claimed_by=name, claimed_until=now + CLAIM_LEASE - timedelta(seconds=10)
        )
    assert claims.consumers_ended_mark() == 1  # What a consumer on that machine does at each beat.
    assert [c.pk for c in Consumer.objects.ended()] == ["gone"]
    # The next reconciler runs on another machine: it can judge no pid of this one, only the mark.
    monkeypatch.setattr(claims, "pid_space", lambda: "another-boot pid:[1] time:[2]")
    assert claims_release_dead(model=EmailVerification) == 1
    assert [v.user.email for v in EmailVerification.objects.unclaimed()] == ["gone@x.org"]


def test_a_beat_clears_a_mark_of_ended_from_its_own_row():
    claims.consumer_beat()
    Consumer.objects.filter(pk=consumer_identity()).update(ended_at=timezone.now())
    claims.consumer_beat()
    assert Consumer.objects.get(pk=consumer_identity()).ended_at is None


def test_a_consumer_hidden_from_our_proc_keeps_its_claims(owed_verification, monkeypatch):
    now = timezone.now()
    Consumer.objects.create(
        id="hidden", host="here", pid=4242, pid_space=pid_space(), pid_started=1, started_at=now, seen_at=now
    )
    owed_verification(claimed_by="hidden", claimed_until=now + CLAIM_LEASE - timedelta(seconds=10))
    # /proc mounted with hidepid=2 and the consumer run by another user: no /proc entry, yet it answers.
    monkeypatch.setattr(claims, "process_started", lambda pid: None)
    monkeypatch.setattr(claims.os, "kill", mock.Mock(side_effect=PermissionError))
    assert claims_release_dead(model=EmailVerification) == 0


def test_a_process_start_is_read_past_a_command_name_with_spaces_and_parentheses(tmp_path):
    odd = tmp_path / "a) (b c"
    shutil.copy(shutil.which("sleep"), odd)
    first = subprocess.Popen(["sleep", "60"])
    second = subprocess.Popen([str(odd), "60"])
    try:
        # Started in this order: a parser thrown off by the name would read another field.
        assert process_started(os.getpid()) <= process_started(first.pid) <= process_started(second.pid)
    finally:
        for process in (first, second):
            process.kill()
            process.wait()
    assert process_started(second.pid) is None


def test_a_consumer_beat_keeps_its_claims(owed_verification, make_user):
    now = timezone.now()
    Consumer.objects.create(id="slow", host="mail-2", pid=1, started_at=now, seen_at=now - timedelta(minutes=5))
    owed_verification(claimed_by="slow", claimed_until=now + CLAIM_LEASE - timedelta(minutes=5))
    Consumer.objects.filter(pk="slow").update(seen_at=timezone.now())
    assert claims_release_dead(model=EmailVerification) == 0


@pytest.mark.django_db(transaction=True)
def test_smtp_is_never_talked_to_inside_a_transaction(owed_verification):
    verification = owed_verification()
    seen = []
    with mock.patch(SEND, side_effect=lambda *a, **k: seen.append(connection.in_atomic_block)):
        assert delivery_send(kind=VERIFICATION, pk=verification.pk) == SendResult(Outcome.SENT)
    assert seen == [False]


def test_every_attempt_sends_the_same_message_id(owed_verification, mailoutbox, settings):
    settings.SITE_URL = "https://blog.example.org"
    verification = owed_verification()
    tried = []

    def timeout_after_building(self):
        tried.append(self.message()["Message-ID"])
        raise TimeoutError("the server may have taken it")

    with mock.patch(SEND, timeout_after_building):
        assert delivery_send(kind=VERIFICATION, pk=verification.pk).outcome is Outcome.RETRY
    EmailVerification.objects.filter(pk=verification.pk).update(retry_at=None)
    assert delivery_send(kind=VERIFICATION, pk=verification.pk).outcome is Outcome.SENT
    verification.refresh_from_db()
    [sent] = mailoutbox
    assert tried == [sent.message()["Message-ID"]] == [verification.message_id]
    assert verification.message_id.endswith("@blog.example.org>")
    other = owed_verification(owner=verification.user)
    delivery_send(kind=VERIFICATION, pk=other.pk)
    assert mailoutbox[-1].message()["Message-ID"] != verification.message_id  # One id per owed mail.


def test_the_send_limit_spaces_mails_without_counting_attempts(owed_verification, settings, monkeypatch):
    settings.EMAIL_MAX_PER_SECOND = 2
    clock = [1000.0]
    monkeypatch.setattr(outbox.time, "time", lambda: clock[0])
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    turns = []
    for _ in range(5):  # Five threads asking at once, as far as the clock can tell.
        start = clock[0]
        outbox.send_turn_wait()
        turns.append(clock[0])
        clock[0] = start
    spacing = outbox.PACE_MARGIN / 2
    assert turns == pytest.approx([1000.0 + n * spacing for n in range(5)])
    assert all(sum(1 for t in turns if s <= t < s + 1) <= 2 for s in turns)  # Any one second: at most 2.
    clock[0] = 2000.0  # Long idle: the next mail goes at once.
    assert outbox.send_turn_wait() == 0.0
    verification = owed_verification()
    clock[0] = 2000.0
    delivery_send(kind=VERIFICATION, pk=verification.pk)  # Waits its turn inside its attempt...
    verification.refresh_from_db()
    assert verification.attempts == 1 and verification.sent_at  # ...which the wait did not multiply.


def test_no_limit_means_no_waiting(settings, monkeypatch):
    settings.EMAIL_MAX_PER_SECOND = 0
    monkeypatch.setattr(outbox.time, "sleep", mock.Mock(side_effect=AssertionError("slept")))
    assert outbox.send_turn_wait() == 0.0


def test_a_mail_that_can_never_be_built_fails_for_good_and_is_not_retried(make_user, make_post, huey_inline):
    # A display name with a line break (stored before the admin refused them) ends up in List-Id.
    author = make_user(email="nl@x.org", verified=True)
    type(author).objects.filter(pk=author.pk).update(display_name="Ann\nBcc: everyone@example.org")
    subscriber = Subscriber.objects.create(author=author, email="reader@x.org", confirmed_at=timezone.now())
    post_mail = PostMail.objects.create(post=make_post(author=author), subscriber=subscriber)
    assert delivery_send(kind=POST_MAIL, pk=post_mail.pk) == SendResult(Outcome.FAILED)
    post_mail.refresh_from_db()
    assert post_mail.failed_at is not None and "BadHeaderError" in post_mail.last_error
    assert not PostMail.objects.owed().filter(pk=post_mail.pk).exists()  # Never tried again...
    assert huey_inline.scheduled() == []  # ...by a retry either.


def test_the_admin_refuses_a_display_name_with_a_line_break(admin_client, make_user):
    user = make_user(email="x@x.org", verified=True)
    page = admin_client.get(f"/admin/users/user/{user.pk}/change/")
    assert page.status_code == 200
    form = {
        "email": "x@x.org",
        "display_name": "Ann\r\nBcc: everyone@example.org",
        "is_verified": "on",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        "review_mail": "each",
        "report_frequency": "daily",
    }
    response = admin_client.post(f"/admin/users/user/{user.pk}/change/", form)
    assert response.status_code == 200 and "one line of visible text" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == ""
