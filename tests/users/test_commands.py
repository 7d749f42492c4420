from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


ROOT = Path(__file__).resolve().parent.parent


def test_createsuperuser_asks_for_email(monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-long-enough-1")
    call_command("createsuperuser", "--no-input", "--email", "Root@X.org", stdout=StringIO())
    admin = get_user_model().objects.get(email="root@x.org")
    assert admin.is_superuser and admin.check_password("pw-long-enough-1")
