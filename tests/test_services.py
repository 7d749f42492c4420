import smtplib
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from blog import services as blog_services
from blog.models import DailyViews, Post, Report
from site.delivery import Outcome
from users import services
from users.models import EmailVerification

pytestmark = pytest.mark.django_db


def _link(message):
    return next(line for line in message.body.splitlines() if "/accounts/verify/" in line).strip()


def test_user_create_enqueues_mail_only_after_commit(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://blog.example.com"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = services.user_create(email="Ann@X.org", password="pw-long-enough-1")
        assert len(mail.outbox) == 0
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@x.org"]
    assert _link(message).startswith("https://blog.example.com/accounts/verify/")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and _link(message) in html
    assert EmailVerification.objects.get(user=user).sent_at is not None


def test_same_address_twice_raises_email_taken(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.user_create(email="ann@x.org", password="pw-long-enough-1")
    with pytest.raises(services.EmailTaken):
        services.user_create(email="ANN@x.org", password="pw-long-enough-1")
    assert len(mail.outbox) == 1


def test_verification_link_verifies_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    assert services.user_verify(token=token) == user
    user.refresh_from_db()
    assert user.is_verified and user.verified_at
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token)
    assert failure.value.reason == "used"


@pytest.mark.parametrize("token", ["", "abc", "a:b:c", "x" * 500, "\x00\x01", "eyJ1IjoxfQ:1abc:sig"])
def test_bad_tokens_are_invalid(token):
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token)
    assert failure.value.reason == "invalid"


def test_token_dies_when_email_changes(user):
    from users.tokens import verification_token_make

    token = verification_token_make(user=user)
    user.email = "new@x.org"
    user.save()
    with pytest.raises(services.VerificationFailed):
        services.user_verify(token=token)


def test_token_expires(user, settings):
    from users.tokens import verification_token_make

    token = verification_token_make(user=user)
    settings.VERIFICATION_MAX_AGE = -1
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token)
    assert failure.value.reason == "expired"


def test_sent_mail_is_not_sent_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    verification = EmailVerification.objects.get(user=user)
    assert services.verification_send(verification_id=verification.pk) == (Outcome.SKIPPED, None)
    assert len(mail.outbox) == 1


def test_transient_smtp_failure_keeps_mail_owed_and_asks_for_a_retry(user):
    verification = EmailVerification.objects.create(user=user, email=user.email)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("down")):
        outcome, delay = services.verification_send(verification_id=verification.pk)
    verification.refresh_from_db()
    assert outcome == Outcome.RETRY and 5 <= delay <= 10
    assert verification.sent_at is None and verification.failed_at is None
    assert "down" in verification.last_error and verification.attempts == 1
    assert verification.claimed_until is None


def test_permanent_rejection_marks_the_mail_failed(user):
    verification = EmailVerification.objects.create(user=user, email=user.email)
    refused = smtplib.SMTPRecipientsRefused({user.email: (550, b"no such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        assert services.verification_send(verification_id=verification.pk) == (Outcome.FAILED, None)
    verification.refresh_from_db()
    assert verification.failed_at is not None
    assert EmailVerification.objects.owed().count() == 0


def test_reconcile_owes_mail_to_accounts_made_in_the_shell(make_user):
    shell_user = make_user(email="shell@x.org")
    make_user(email="ok@x.org", verified=True)
    [verification_id] = services.verification_reconcile(in_flight_ids=set())
    assert EmailVerification.objects.get(pk=verification_id).user == shell_user
    assert services.verification_send(verification_id=verification_id) == (Outcome.SENT, None)
    assert mail.outbox[0].to == ["shell@x.org"]


def test_reconcile_reowes_lost_mail_but_not_queued_or_sent(user, make_user):
    lost = EmailVerification.objects.create(user=user, email=user.email)
    queued = EmailVerification.objects.create(user=make_user(email="b@x.org"), email="b@x.org")
    EmailVerification.objects.create(user=make_user(email="c@x.org"), email="c@x.org", sent_at=timezone.now())
    assert services.verification_reconcile(in_flight_ids={queued.pk}) == [lost.pk]


def test_reconcile_frees_claims_of_dead_processes(user):
    verification = EmailVerification.objects.create(
        user=user, email=user.email, claimed_until=timezone.now() + timedelta(minutes=5), claimed_by="nohost:1"
    )
    import socket

    EmailVerification.objects.filter(pk=verification.pk).update(claimed_by=f"{socket.gethostname()}:999999999")
    assert services.verification_reconcile(in_flight_ids=set()) == [verification.pk]


def test_no_mail_owed_once_verified_or_expired(user, make_user, settings):
    EmailVerification.objects.create(user=user, email=user.email)
    verified = make_user(email="v@x.org", verified=True)
    EmailVerification.objects.create(user=verified, email=verified.email)
    assert services.verification_reconcile(in_flight_ids=set()) == [user.verifications.get().pk]
    settings.VERIFICATION_MAX_AGE = 0
    assert services.verification_reconcile(in_flight_ids=set()) == []


def test_resend_reuses_an_owed_mail(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.verification_request(user=user)
        second = services.verification_request(user=user)
    assert first == second
    user.is_verified = True
    assert services.verification_request(user=user) is None


def test_view_counting_adds_to_total_and_day(post):
    assert [blog_services.post_view_record(post=post) for _ in range(3)] == [1, 2, 3]
    post.refresh_from_db()
    assert post.view_count == 3
    assert DailyViews.objects.get(post=post, day=timezone.localdate()).views == 3


def test_unverified_author_cannot_publish(user):
    with pytest.raises(blog_services.NotVerified):
        blog_services.post_create(author=user, title="t", content="c", publish=True)
    draft = blog_services.post_create(author=user, title="t", content="c")
    with pytest.raises(blog_services.NotVerified):
        blog_services.post_publish(post=draft)
    assert not Post.objects.published().exists()


def test_report_has_day_and_total_views(author, post, django_capture_on_commit_callbacks):
    day = timezone.localdate()
    Post.objects.create(author=author, title="Quiet post", content="x")
    for _ in range(2):
        blog_services.post_view_record(post=post)
    with django_capture_on_commit_callbacks(execute=True):
        queued = blog_services.report_plan(day=day)
    assert [r.author for r in queued] == [author]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "report" in message.subject.lower() and message.to == [author.email]
    assert "Hello world: 2 that day, 2 in all" in message.body
    assert "Quiet post: 0 that day, 0 in all" in message.body
    assert "<table" in message.alternatives[0][0]


def test_report_is_sent_once_per_author_and_day(author, post, django_capture_on_commit_callbacks):
    day = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        blog_services.report_plan(day=day)
    with django_capture_on_commit_callbacks(execute=True):
        assert blog_services.report_plan(day=day) == []
    assert len(mail.outbox) == 1
    assert Report.objects.get(author=author, day=day).sent_at is not None


def test_report_views_on_day_ignore_other_days(author, post, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    DailyViews.objects.create(post=post, day=today - timedelta(days=2), views=5)
    DailyViews.objects.create(post=post, day=today - timedelta(days=1), views=7)
    Post.objects.filter(pk=post.pk).update(view_count=12, published_at=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        blog_services.report_plan(day=today - timedelta(days=1))
    assert "Hello world: 7 that day, 12 in all" in mail.outbox[0].body


def test_authors_without_published_posts_get_no_report(author, user, django_capture_on_commit_callbacks):
    Post.objects.create(author=user, title="draft", content="x", published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert blog_services.report_plan(day=timezone.localdate()) == []
    assert mail.outbox == []


def test_report_due_day_follows_report_time(settings):
    settings.REPORT_HOUR, settings.REPORT_MINUTE = 7, 0
    before = timezone.make_aware(timezone.datetime(2026, 3, 10, 6, 59))
    after = timezone.make_aware(timezone.datetime(2026, 3, 10, 7, 0))
    assert blog_services.report_due_day(before) == date(2026, 3, 8)
    assert blog_services.report_due_day(after) == date(2026, 3, 9)


def test_reconcile_catches_up_a_missed_report_time(author, post, django_capture_on_commit_callbacks):
    due = blog_services.report_due_day()
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        blog_services.report_reconcile(in_flight_ids=set())
    assert Report.objects.get(author=author, day=due).sent_at is not None
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert blog_services.report_reconcile(in_flight_ids=set()) == []
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_smtp_is_never_talked_to_inside_a_transaction(make_user):
    from django.db import connection

    user = make_user(email="tx@x.org")
    verification = EmailVerification.objects.create(user=user, email=user.email)
    seen = []
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=lambda *a, **k: seen.append(connection.in_atomic_block)
    ):
        assert services.verification_send(verification_id=verification.pk) == (Outcome.SENT, None)
    assert seen == [False]


@pytest.mark.django_db(transaction=True)
def test_signup_hashes_the_password_outside_the_write_transaction():
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    seen = []

    def hashing(password, *args, **kwargs):
        seen.append(connection.in_atomic_block)
        return make_password(password, *args, **kwargs)

    with mock.patch("django.contrib.auth.base_user.make_password", side_effect=hashing):
        user = services.user_create(email="hash@x.org", password="pw-long-enough-1")
    assert seen == [False]
    assert user.check_password("pw-long-enough-1")
