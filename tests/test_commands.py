import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from blog.models import Post, Report

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_view_reports_twice_sends_once(author, post, django_capture_on_commit_callbacks):
    day = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        first = _run("send_view_reports", "--date", day)
    with django_capture_on_commit_callbacks(execute=True):
        second = _run("send_view_reports", "--date", day)
    assert f"queued report for {author.email}" in first and "Queued 1 report(s)" in first
    assert "Queued 0 report(s)" in second and "1 already sent" in second
    assert len(mail.outbox) == 1


def test_send_view_reports_dry_run_writes_nothing(author, post):
    out = _run("send_view_reports", "--date", timezone.localdate().isoformat(), "--dry-run")
    assert author.email in out and "Would queue 1" in out
    assert not Report.objects.exists()


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
    assert check.returncode == 0, "db.sqlite3.example lags behind the migrations: run `make db.sqlite3.example`\n" + check.stdout + check.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("select count(*) from blog_post").fetchone()[0] >= 5
        assert conn.execute("select count(*) from users_user where password not like '!%'").fetchone()[0] == 0


def _manage(*args, **env):
    base = {"PATH": "/usr/bin:/bin", "DATA_DIR": os.environ["DATA_DIR"]}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_missing_data_dir_is_a_clear_error(tmp_path):
    result = _manage("check", DJANGO_DEBUG="1", DATA_DIR=str(tmp_path / "missing"))
    assert result.returncode != 0 and "DATA_DIR" in result.stderr and "is not a folder" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8#p2!Lm@9vR$tX7&wYb4^nC1*sD6eF",
        SITE_URL="https://blog.example.com",
        DJANGO_ALLOWED_HOSTS="blog.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_createsuperuser_asks_for_email(monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-long-enough-1")
    call_command("createsuperuser", "--no-input", "--email", "Root@X.org", stdout=StringIO())
    admin = get_user_model().objects.get(email="root@x.org")
    assert admin.is_superuser and admin.check_password("pw-long-enough-1")


def test_backup_refuses_to_overwrite(tmp_path):
    (tmp_path / "db.sqlite3").write_text("old")
    with pytest.raises(CommandError, match="choose an empty folder"):
        call_command("backup", str(tmp_path), stdout=StringIO())
    assert (tmp_path / "db.sqlite3").read_text() == "old"
