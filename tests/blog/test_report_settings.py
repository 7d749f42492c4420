"""Reports authors control: daily, weekly or off, quiet periods, and leaving from the mail in one click."""

import re
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from blog import reports, services
from blog.deliveries import REPORT
from blog.models import DailyViews, Report, ReportPlan, Subscriber
from site.outbox import delivery_send
from site.unsubscribe import REPORTS, unsubscribe_url
from tests.deliveries import reconciled

pytestmark = pytest.mark.django_db

SUNDAY = date(2026, 11, 22)


@pytest.fixture
def at_monday(monkeypatch, settings):
    """The site clock on Monday 23 Nov 2026 at 08:00, an hour past REPORT_TIME: Sunday's reports are due."""
    settings.REPORT_HOUR, settings.REPORT_MINUTE = 7, 0
    monday = timezone.make_aware(timezone.datetime(2026, 11, 23, 8, 0))
    monkeypatch.setattr(timezone, "now", lambda: monday)
    assert reports.report_due_day() == SUNDAY
    return monday


@pytest.fixture
def old_post(make_post, at_monday):
    return make_post(published_at=at_monday - timedelta(days=30))


def _plan(day, capture):
    with capture(execute=True):
        return services.report_plan(day=day)


def test_a_quiet_day_sends_no_report_unless_asked(author, old_post, django_capture_on_commit_callbacks):
    assert _plan(SUNDAY, django_capture_on_commit_callbacks) == [] and mail.outbox == []
    author.report_when_quiet = True
    author.save()
    _plan(SUNDAY, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and "Hello world: 0 that day" in mail.outbox[0].body


def test_weekly_reports_go_on_monday_for_the_seven_days_before(author, old_post, django_capture_on_commit_callbacks):
    author.report_frequency = "weekly"
    author.save()
    DailyViews.objects.create(post=old_post, day=SUNDAY - timedelta(days=6), views=4)  # Monday a week ago.
    DailyViews.objects.create(post=old_post, day=SUNDAY - timedelta(days=7), views=50)  # The week before.
    assert _plan(SUNDAY - timedelta(days=1), django_capture_on_commit_callbacks) == []  # Saturday: no weekly report.
    [report] = _plan(SUNDAY, django_capture_on_commit_callbacks)
    assert (report.days, report.first_day) == (7, date(2026, 11, 16))
    [message] = mail.outbox
    assert message.subject == "Your weekly reading report, 16 Nov to 22 Nov 2026"
    assert "Hello world: 4 that week" in message.body


def test_weekly_without_reads_that_week_sends_nothing(author, old_post, django_capture_on_commit_callbacks):
    author.report_frequency = "weekly"
    author.save()
    DailyViews.objects.create(post=old_post, day=SUNDAY - timedelta(days=7), views=50)
    assert _plan(SUNDAY, django_capture_on_commit_callbacks) == []


def test_off_means_no_report_and_none_of_those_already_owed(author, old_post, django_capture_on_commit_callbacks):
    DailyViews.objects.create(post=old_post, day=SUNDAY, views=1)
    owed = Report.objects.create(author=author, day=SUNDAY - timedelta(days=1))
    author.report_frequency = "off"
    author.save()
    assert _plan(SUNDAY, django_capture_on_commit_callbacks) == []
    assert delivery_send(kind=REPORT, pk=owed.pk).outcome.value == "skipped"
    assert mail.outbox == []


def test_the_profile_sets_the_report(client, author):
    client.force_login(author)
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="report_frequency"' in page and 'name="report_when_quiet"' in page
    response = client.post(
        "/accounts/profile/", {"display_name": "A", "report_frequency": "weekly", "report_when_quiet": "on"}
    )
    assert response.status_code == 302
    author.refresh_from_db()
    assert (author.report_frequency, author.report_when_quiet) == ("weekly", True)
    response = client.post("/accounts/profile/", {"display_name": "A", "report_frequency": "hourly"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    author.refresh_from_db()
    assert author.report_frequency == "weekly"


def test_the_report_mail_leaves_in_one_click(author, old_post, settings, django_capture_on_commit_callbacks):
    settings.NEWSLETTER_FROM_EMAIL = "reports@blog.example.org"
    DailyViews.objects.create(post=old_post, day=SUNDAY, views=1)
    _plan(SUNDAY, django_capture_on_commit_callbacks)
    [sent] = mail.outbox
    parsed = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert parsed["From"] == "reports@blog.example.org"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.search(r"<reports\.[^>]+>$", parsed["List-Id"])
    url = re.fullmatch(r"<(https?://[^>]+)>", parsed["List-Unsubscribe"].strip()).group(1)
    assert url in sent.body and url in sent.alternatives[0][0]
    path = url.removeprefix(settings.SITE_URL)

    assert Client().get(path).status_code == 200
    author.refresh_from_db()
    assert author.report_frequency == "daily"  # A GET (a mail scanner) changes nothing.
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "no more mail" in response.content.decode()
    author.refresh_from_db()
    assert author.report_frequency == "off"


def test_a_tampered_or_foreign_token_gets_a_4xx_and_changes_nothing(author, make_subscriber_for):
    good = unsubscribe_url(url_name="users:reports-unsubscribe", kind=REPORTS, pk=author.pk)
    path = good.split("://", 1)[1].split("/", 1)[1]
    token = path.rstrip("/").rsplit("/", 1)[1]
    other = unsubscribe_url(url_name="users:reports-unsubscribe", kind=REPORTS, pk=author.pk + 1)
    other_token = other.rstrip("/").rsplit("/", 1)[1]
    subscriber = make_subscriber_for(author)
    subscriber_token = unsubscribe_url(url_name="blog:subscriber-unsubscribe", kind="new-posts", pk=subscriber.pk)
    subscriber_token = subscriber_token.rstrip("/").rsplit("/", 1)[1]
    for bad in [token[:-2] + "xx", token.replace(":", ":x", 1), other_token.split(":")[0] + token[token.index(":") :]]:
        response = Client().post(
            f"/accounts/reports/unsubscribe/{bad}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400, bad
    # A reader's unsubscribe token cannot stop an author's reports, nor the other way round.
    for url in (f"/accounts/reports/unsubscribe/{subscriber_token}/", f"/subscriptions/unsubscribe/{token}/"):
        response = Client().post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
    # Without the one-click body a POST changes nothing either.
    assert Client().post(f"/accounts/reports/unsubscribe/{token}/").status_code == 400
    author.refresh_from_db()
    subscriber.refresh_from_db()
    assert author.report_frequency == "daily" and subscriber.unsubscribed_at is None


@pytest.fixture
def make_subscriber_for():
    def make(author):
        return Subscriber.objects.create(author=author, email="r@example.org", confirmed_at=timezone.now())

    return make


def test_a_consumer_down_all_monday_still_sends_the_weekly_report(author, old_post, monkeypatch):
    """Planned through Saturday; back on Tuesday morning, the reconciler plans Sunday (weekly) and Monday."""
    author.report_frequency = "weekly"
    author.save()
    DailyViews.objects.create(post=old_post, day=SUNDAY - timedelta(days=2), views=3)
    ReportPlan.objects.create(day=SUNDAY - timedelta(days=1))
    tuesday = timezone.make_aware(timezone.datetime(2026, 11, 24, 8, 0))
    monkeypatch.setattr(timezone, "now", lambda: tuesday)
    [report_id] = reconciled(REPORT, set())
    report = Report.objects.get(pk=report_id)
    assert (report.day, report.days) == (SUNDAY, 7)
    assert set(ReportPlan.objects.values_list("day", flat=True)) == {
        SUNDAY - timedelta(days=1),
        SUNDAY,
        SUNDAY + timedelta(days=1),
    }
    assert reconciled(REPORT, {report_id}) == []


def test_the_header_and_the_body_carry_the_same_link_across_a_second(
    author, old_post, monkeypatch, django_capture_on_commit_callbacks
):
    """Signed links carry a timestamp: made twice, a second apart, the header and the body would differ."""
    ticks = iter(range(2_000_000_000, 2_000_001_000))
    monkeypatch.setattr("django.core.signing.time.time", lambda: next(ticks))
    DailyViews.objects.create(post=old_post, day=SUNDAY, views=1)
    _plan(SUNDAY, django_capture_on_commit_callbacks)
    [sent] = mail.outbox
    parsed = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    url = re.fullmatch(r"<(https?://[^>]+)>", parsed["List-Unsubscribe"].strip()).group(1)
    assert url in sent.body and url in sent.alternatives[0][0]
