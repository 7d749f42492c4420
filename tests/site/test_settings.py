import os
import subprocess
import sys
from pathlib import Path

import pytest

from site.settings import database_from_url

pytestmark = pytest.mark.django_db


ROOT = Path(__file__).resolve().parents[2]


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


def test_a_poll_interval_that_is_not_a_number_is_a_clear_error():
    result = _manage("check", DJANGO_DEBUG="1", HUEY_MAX_DELAY="fast")
    assert result.returncode != 0 and "HUEY_MAX_DELAY must be a number, not 'fast'" in result.stderr
    assert _manage("check", DJANGO_DEBUG="1", HUEY_MAX_DELAY="0.5").returncode == 0


def test_database_url_gives_django_its_postgresql_settings():
    parsed = database_from_url("postgresql://blog:p%40ss%2Fword@db.internal:6432/quick_publisher?sslmode=require")
    assert parsed == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "quick_publisher",
        "USER": "blog",
        "PASSWORD": "p@ss/word",
        "HOST": "db.internal",
        "PORT": "6432",
        "OPTIONS": {"sslmode": "require"},
    }
    assert database_from_url("postgres:///blog")["HOST"] == ""  # The local socket, libpq's default.


@pytest.mark.parametrize(
    "url, said",
    [
        ("mysql://u:secret-pw@h/blog", "must start with postgres://"),
        ("sqlite:///tmp/db.sqlite3", "must start with postgres://"),
        ("postgres://u:secret-pw@h:port/blog", "port that is not a number"),
        ("postgres://u:secret-pw@h:5432/", "must name one database"),
        ("postgres://u:secret-pw@h:5432/a/b", "must name one database"),
    ],
)
def test_a_bad_database_url_is_a_clear_error_that_never_shows_the_password(url, said):
    result = _manage("check", DJANGO_DEBUG="1", DATABASE_URL=url)
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr and said in result.stderr
    assert "secret-pw" not in result.stderr


def test_hsts_covers_only_this_host_unless_the_owner_opts_in():
    show = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    production = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "k" * 20 + "Zq8#p2!Lm@9vR$tX7&wYb4^nC1*sD6eF",
        "SITE_URL": "https://blog.example.com",
        "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    }
    default = _manage("shell", "--no-imports", "-c", show, **production)
    assert default.stdout.split() == ["31536000", "False", "False"], default.stderr
    opted = _manage(
        "shell", "--no-imports", "-c", show, DJANGO_HSTS_INCLUDE_SUBDOMAINS="1", DJANGO_HSTS_PRELOAD="1", **production
    )
    assert opted.stdout.split() == ["31536000", "True", "True"], opted.stderr
