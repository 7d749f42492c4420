import sqlite3
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from blog import reports
from blog.models import DailyViews, Post, Report

pytestmark = pytest.mark.django_db


ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_post(make_post):
    """A post published before yesterday and read yesterday: its author is owed yesterday's report."""
    post = make_post(days_ago=3)
    DailyViews.objects.create(post=post, day=timezone.localdate() - timedelta(days=1), views=1)
    return post


def _yesterday():
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def test_send_view_reports_twice_sends_once(author, old_post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _run("send_view_reports", "--date", _yesterday())
    with django_capture_on_commit_callbacks(execute=True):
        second = _run("send_view_reports", "--date", _yesterday())
    assert f"queued report for {author.email}" in first and "Queued 1 report(s)" in first
    assert "Queued 0 report(s)" in second and "1 already sent" in second
    assert len(mail.outbox) == 1


def test_send_view_reports_dry_run_writes_nothing(author, old_post):
    out = _run("send_view_reports", "--date", _yesterday(), "--dry-run")
    assert author.email in out and "Would queue 1" in out
    assert not Report.objects.exists()


def test_dry_run_agrees_with_the_owed_reports(author, old_post):
    # Reproduced before: a report sent for the day before and an unsent one
    # for the asked day made the dry run say 0 while one was owed.
    day = timezone.localdate() - timedelta(days=1)
    Report.objects.create(author=author, day=day - timedelta(days=1), sent_at=timezone.now())
    Report.objects.create(author=author, day=day)
    assert Report.objects.owed().for_day(day).count() == 1
    out = _run("send_view_reports", "--date", day.isoformat(), "--dry-run")
    assert f"Would queue 1 report(s) for {day}:" in out and author.email in out


@pytest.mark.parametrize("days_ahead", [0, 1])
def test_send_view_reports_refuses_a_day_that_is_not_over(author, old_post, days_ahead):
    day = timezone.localdate() + timedelta(days=days_ahead)
    for dry in ([], ["--dry-run"]):
        with pytest.raises(CommandError, match=f"{day} is not over yet"):
            _run("send_view_reports", "--date", day.isoformat(), *dry)
    assert not Report.objects.exists() and mail.outbox == []


def test_the_real_report_still_goes_out_after_a_refused_early_send(
    author, old_post, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    DailyViews.objects.create(post=old_post, day=today, views=1)
    with pytest.raises(CommandError):
        _run("send_view_reports", "--date", today.isoformat())
    # The next morning the consumer plans and sends today's report as usual.
    tomorrow_at_report_time = timezone.make_aware(
        timezone.datetime.combine(today + timedelta(days=1), timezone.datetime.min.time())
    ).replace(hour=23, minute=59)
    assert reports.report_due_day(tomorrow_at_report_time) == today
    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=1)):
        [report] = reports.report_owe(day=today)
    assert (report.author, report.day, report.sent_at) == (author, today, None)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", "2026-02-30"])
def test_send_view_reports_rejects_bad_dates(value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_view_reports", "--date", value, stdout=StringIO())
    assert not Report.objects.exists()


def test_seed_demo_fills_an_empty_database():
    out = _run("seed_demo")
    assert Post.objects.published().count() == 6
    assert "Seeded 3 authors" in out
    assert all(not post.author.has_usable_password() for post in Post.objects.select_related("author"))
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())


def test_example_database_is_migrated_and_has_demo_posts(tmp_path):
    example = ROOT / "db.sqlite3.example"
    (tmp_path / "db.sqlite3").write_bytes(example.read_bytes())
    check = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, (
        "db.sqlite3.example lags behind the migrations: run `make db.sqlite3.example`\n" + check.stdout + check.stderr
    )
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("select count(*) from blog_post").fetchone()[0] >= 5
        assert conn.execute("select count(*) from users_user where password not like '!%'").fetchone()[0] == 0
