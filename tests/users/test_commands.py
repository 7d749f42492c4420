import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

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


def test_createsuperuser_asks_for_email(monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-long-enough-1")
    call_command("createsuperuser", "--no-input", "--email", "Root@X.org", stdout=StringIO())
    admin = get_user_model().objects.get(email="root@x.org")
    assert admin.is_superuser and admin.check_password("pw-long-enough-1")
