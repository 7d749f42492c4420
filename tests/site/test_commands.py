import email
import email.policy
import gzip
import logging
import os
import re
import sqlite3
import stat
import subprocess
import threading
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.core.mail import EmailMessage, get_connection
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from huey.contrib.djhuey.management.commands import run_huey as huey_command

from blog.models import PostRead
from site.backups import STAMP, backups_prune
from site.management.commands.run_huey import Command as RunHuey
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(tmp_path, settings):
    """A DATA_DIR holding two small SQLite files, world-readable as an old install left them."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("db.sqlite3", "huey.sqlite3"):
        with sqlite3.connect(folder / name) as conn:
            conn.execute("create table t (x)")
            conn.execute("insert into t values ('kept')")
        (folder / name).chmod(0o644)
    settings.DATA_DIR = folder
    return folder


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _backup(*args):
    out = StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


@pytest.mark.sqlite_only
def test_backup_refuses_to_overwrite(data_dir, tmp_path):
    (tmp_path / "db.sqlite3.gz").write_text("old")
    with pytest.raises(CommandError, match="choose an empty folder"):
        _backup(str(tmp_path))
    assert (tmp_path / "db.sqlite3.gz").read_text() == "old"


@pytest.mark.sqlite_only
def test_backup_files_are_compressed_private_and_whole(data_dir, tmp_path):
    dest = tmp_path / "backup"
    out = _backup(str(dest))
    assert "integrity ok, compressed" in out
    assert _mode(dest) == 0o700
    assert sorted(p.name for p in dest.iterdir()) == ["db.sqlite3.gz", "huey.sqlite3.gz", "media.tar"]
    assert _mode(dest / "media.tar") == 0o600
    for name in ("db.sqlite3", "huey.sqlite3"):
        assert _mode(dest / f"{name}.gz") == 0o600
        restored = tmp_path / name
        restored.write_bytes(gzip.decompress((dest / f"{name}.gz").read_bytes()))
        with sqlite3.connect(restored) as conn:
            assert conn.execute("select x from t").fetchall() == [("kept",)]


@pytest.mark.sqlite_only
def test_backup_never_follows_a_symlink_out_of_its_folder(data_dir, tmp_path):
    dest, outside = tmp_path / "backup", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "db.sqlite3.gz").symlink_to(outside / "stolen.gz")  # Dangling: it points at nothing yet.
    with pytest.raises(CommandError, match="symbolic link"):
        _backup(str(dest))
    assert list(outside.iterdir()) == []


@pytest.mark.sqlite_only
def test_backup_refuses_a_destination_that_is_a_symlink(data_dir, tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    with pytest.raises(CommandError, match="symbolic link"):
        _backup(str(link))
    assert list(real.iterdir()) == []


@pytest.mark.sqlite_only
def test_backup_without_room_refuses_before_writing_anything(data_dir, tmp_path):
    full = mock.Mock(free=1024)
    with (
        mock.patch("site.backups.shutil.disk_usage", return_value=full),
        pytest.raises(CommandError, match="Not enough free space"),
    ):
        _backup(str(tmp_path / "backup"))
    assert not (tmp_path / "backup").exists()


@pytest.mark.sqlite_only
def test_a_backup_that_fails_midway_leaves_nothing_behind(data_dir, tmp_path):
    dest = tmp_path / "backup"
    with (
        mock.patch("site.backups.gzip.GzipFile", side_effect=OSError(28, "No space left on device")),
        pytest.raises(CommandError, match="failed and was removed"),
    ):
        _backup(str(dest))
    assert not dest.exists()


def test_rotation_keeps_the_newest_copy_of_recent_days_and_weeks(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 11, 25, 3, 0)
    made = [start - timedelta(days=n) for n in range(60)] + [start - timedelta(hours=1)]  # Two copies today.
    for when in made:
        (folder / when.strftime(STAMP)).mkdir()
    (folder / "my-notes").mkdir()  # Not a copy: left alone.
    deleted = backups_prune(folder=folder, keep_daily=7, keep_weekly=4)
    kept = sorted(p.name for p in folder.iterdir())
    assert "my-notes" in kept
    days_kept = {datetime.strptime(name, STAMP).date() for name in kept if name != "my-notes"}
    assert {start.date() - timedelta(days=n) for n in range(7)} <= days_kept
    assert len(kept) - 1 <= 7 + 4 and len(deleted) == len(made) - (len(kept) - 1)
    assert (start - timedelta(hours=1)).strftime(STAMP) not in kept  # Today's older copy went.


@pytest.mark.sqlite_only
def test_the_default_run_rotates_its_own_folder(data_dir, settings):
    folder = data_dir / "backups"
    folder.mkdir()
    for n in range(1, 20):
        (folder / (datetime(2020, 1, 1) + timedelta(days=n)).strftime(STAMP)).mkdir()
    out = _backup("--keep", "2", "--keep-weekly", "0")
    assert out.count("removed old copy") == 18
    assert len(list(folder.iterdir())) == 2


@pytest.mark.sqlite_only
def test_sqlite_writes_its_plain_copy_only_inside_a_folder_no_one_else_can_enter(data_dir, tmp_path):
    # SQLite opens files by name: in a folder others can write to, they could
    # swap the name for a link between our check and its open.
    dest, seen = tmp_path / "backup", []
    dest.mkdir(mode=0o777)
    dest.chmod(0o777)
    real_connect = sqlite3.connect

    def watch(target, *args, **kwargs):
        if not str(target).startswith("file:"):
            folder = Path(target).parent
            seen.append((folder != dest, folder.parent == dest, _mode(folder), os.stat(folder).st_uid == os.getuid()))
        return real_connect(target, *args, **kwargs)

    with mock.patch("site.backups.sqlite3.connect", side_effect=watch):
        _backup(str(dest))
    assert seen == [(True, True, 0o700, True)] * 2
    # The folder is gone.
    assert sorted(p.name for p in dest.iterdir()) == ["db.sqlite3.gz", "huey.sqlite3.gz", "media.tar"]


@pytest.mark.sqlite_only
def test_a_backup_keeps_nothing_that_ties_a_reader_to_a_read(data_dir, tmp_path):
    with sqlite3.connect(data_dir / "db.sqlite3") as conn:
        conn.execute("create table blog_visitorkey (id integer primary key, day text, secret blob)")
        conn.execute("create table blog_postread (id integer primary key, post_id int, day text, visitor text)")
        conn.execute("insert into blog_visitorkey (day, secret) values ('2026-11-25', 'SECRET-KEY-BYTES-0001')")
        conn.execute("insert into blog_postread (post_id, day, visitor) values (1, '2026-11-25', 'VISITOR-ID-0001')")
    _backup(str(tmp_path / "backup"))
    copy = gzip.decompress((tmp_path / "backup" / "db.sqlite3.gz").read_bytes())
    assert b"SECRET-KEY-BYTES-0001" not in copy and b"VISITOR-ID-0001" not in copy
    assert b"kept" in copy  # Everything else is there.


@pytest.mark.sqlite_only
def test_a_backup_with_no_database_in_data_dir_fails_and_writes_nothing(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "empty"
    settings.DATA_DIR.mkdir()
    with pytest.raises(CommandError, match="no database"):
        _backup(str(tmp_path / "backup"))
    assert not (tmp_path / "backup").exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # pg_dump sees only what is committed.
def test_on_postgresql_the_backup_is_a_private_pg_dump_without_the_reads_or_kept_pages(tmp_path, make_post):
    post = make_post(title="Kept in the dump")
    PostRead.objects.create(post=post, day=timezone.localdate(), visitor="a" * 32)
    dest = tmp_path / "backup"
    out = _backup(str(dest))
    dump = dest / "site.pgdump"
    assert "pg_dump wrote" in out and "Backup written" in out
    assert _mode(dump) == 0o600 and dump.stat().st_size > 0
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public blog_post" in listing and "TABLE DATA public huey_task" in listing
    assert "TABLE DATA public blog_postread " not in listing  # The table is there, its rows are not.
    assert "TABLE public blog_postread " in listing
    # Nor the page cache's kept pages (made again from the data).
    assert "TABLE public page_cache " in listing and "TABLE DATA public page_cache " not in listing
    data = subprocess.run(["pg_restore", "--data-only", "-f", "-", str(dump)], capture_output=True, text=True).stdout
    assert "Kept in the dump" in data


@pytest.mark.postgres_only
def test_on_postgresql_without_pg_dump_the_backup_says_what_to_install(tmp_path):
    with mock.patch("site.backups.shutil.which", return_value=None), pytest.raises(CommandError, match="pg_dump"):
        _backup(str(tmp_path / "backup"))
    assert not (tmp_path / "backup").exists()


@pytest.mark.sqlite_only
def test_the_consumers_threads_map_less_of_the_database_than_the_web(monkeypatch, settings):
    """A consumer thread's new connection opens with the consumer's mmap size; the web's keeps its own."""
    seen = {}

    def consumer_thread_connects(self, *args, **options):
        thread = threading.Thread(
            target=lambda: seen.update(init=connections["default"].settings_dict["OPTIONS"]["init_command"])
        )
        thread.start()
        thread.join()

    options = connection.settings_dict["OPTIONS"]
    monkeypatch.setitem(options, "init_command", options["init_command"])  # Restored after the test.
    monkeypatch.setattr(huey_command.Command, "handle", consumer_thread_connects)
    assert f"mmap_size={settings.SQLITE_MMAP_BYTES};" in options["init_command"]
    assert f"wal_autocheckpoint={settings.SQLITE_AUTOCHECKPOINT_PAGES};" in options["init_command"]
    RunHuey().handle()
    assert f"mmap_size={settings.CONSUMER_SQLITE_MMAP_BYTES};" in seen["init"]
    assert settings.CONSUMER_SQLITE_MMAP_BYTES < settings.SQLITE_MMAP_BYTES
    # The consumer's commits run the automatic checkpoints; the web's wait for a much longer WAL.
    assert f"wal_autocheckpoint={settings.CONSUMER_SQLITE_AUTOCHECKPOINT_PAGES};" in seen["init"]
    assert settings.CONSUMER_SQLITE_AUTOCHECKPOINT_PAGES < settings.SQLITE_AUTOCHECKPOINT_PAGES


def test_development_mail_is_saved_as_a_file_and_one_line_says_where(tmp_path, settings, caplog):
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    message = EmailMessage("Verify your address", "Follow http://x/verify/abc/", to=["new@example.org"])
    with caplog.at_level(logging.INFO, logger="site.devmail"):
        assert get_connection("site.devmail.SavedMailBackend").send_messages([message]) == 1
    [saved] = (tmp_path / "mail").glob("*.eml")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    parsed = email.message_from_bytes(saved.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Verify your address" and "http://x/verify/abc/" in parsed.get_content()
    assert caplog.messages == [f"mail to new@example.org, 'Verify your address': {saved}"]


@pytest.mark.django_db
def test_owner_create_prints_a_password_that_logs_in_once(settings, make_user):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="not an email address"):
        call_command("owner_create", "nobody")
    make_user(email="taken@example.org")
    call_command("owner_create", "Taken@Example.org", stdout=(taken := StringIO()))
    assert "exists already" in taken.getvalue() and not User.objects.filter(is_superuser=True).exists()
    out = StringIO()
    call_command("owner_create", "Owner@Example.com", stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue())[1]
    owner = authenticate(username="owner@example.com", password=password)
    assert owner is not None and owner.is_superuser and owner.is_verified
    call_command("owner_create", "someone@example.com", stdout=(again := StringIO()))
    assert again.getvalue() == "" and User.objects.filter(is_superuser=True).count() == 1  # Once a site.


@pytest.mark.django_db
def test_owner_create_refuses_a_production_site(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development site"):
        call_command("owner_create", "owner@example.com")
    assert not User.objects.exists()
