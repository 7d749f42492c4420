"""The product's WSGI app in a benchmark mode (BENCH_MODE, BENCH_VIEW_COUNTING): see bench/modes.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
application = get_wsgi_application()

from bench import modes  # noqa: E402

modes.apply(os.environ.get("BENCH_MODE", "huey"), counting=os.environ.get("BENCH_VIEW_COUNTING", "1") != "0")
