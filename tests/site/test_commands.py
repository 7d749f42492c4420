import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


ROOT = Path(__file__).resolve().parent.parent


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _manage(*args, **env):
    base = {"PATH": "/usr/bin:/bin", "DATA_DIR": os.environ["DATA_DIR"]}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_backup_refuses_to_overwrite(tmp_path):
    (tmp_path / "db.sqlite3").write_text("old")
    with pytest.raises(CommandError, match="choose an empty folder"):
        call_command("backup", str(tmp_path), stdout=StringIO())
    assert (tmp_path / "db.sqlite3").read_text() == "old"
