import os
import sqlite3
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(tmp_path, settings):
    """A DATA_DIR holding two small SQLite files, world-readable as an old install left them."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("db.sqlite3", "huey.sqlite3"):
        with sqlite3.connect(folder / name) as conn:
            conn.execute("create table t (x)")
        (folder / name).chmod(0o644)
    settings.DATA_DIR = folder
    return folder


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_backup_refuses_to_overwrite(tmp_path):
    (tmp_path / "db.sqlite3").write_text("old")
    with pytest.raises(CommandError, match="choose an empty folder"):
        call_command("backup", str(tmp_path), stdout=StringIO())
    assert (tmp_path / "db.sqlite3").read_text() == "old"


def test_backup_files_are_private(data_dir, tmp_path):
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=StringIO())
    assert _mode(dest) == 0o700
    assert {name: _mode(dest / name) for name in ("db.sqlite3", "huey.sqlite3")} == {
        "db.sqlite3": 0o600,
        "huey.sqlite3": 0o600,
    }


def test_backup_never_follows_a_symlink_out_of_its_folder(data_dir, tmp_path):
    dest, outside = tmp_path / "backup", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "db.sqlite3").symlink_to(outside / "stolen.sqlite3")  # Dangling: it points at nothing yet.
    with pytest.raises(CommandError, match="symbolic link"):
        call_command("backup", str(dest), stdout=StringIO())
    assert list(outside.iterdir()) == []


def test_backup_refuses_a_destination_that_is_a_symlink(data_dir, tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    with pytest.raises(CommandError, match="symbolic link"):
        call_command("backup", str(link), stdout=StringIO())
    assert list(real.iterdir()) == []
