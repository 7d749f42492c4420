import os
import subprocess
import sys
from pathlib import Path

import pytest

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
