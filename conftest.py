"""Root conftest: make the `site` package importable and start Django for pytest."""

import os
import tempfile
from pathlib import Path

import site

# See manage.py for why the stdlib `site` module gets a __path__.
site.__path__ = [str(Path(__file__).resolve().parent / "site")]

# Tests run with production settings (debug off) and their own data folder,
# never the developer's database or queue file.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="qp-test-data-"))
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="qp-test-static-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "site.settings"

import django  # noqa: E402

django.setup()

# Unit tests run tasks inline; the integration tests start a real consumer.
from huey.contrib.djhuey import HUEY  # noqa: E402

HUEY.immediate = True
