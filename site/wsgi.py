"""WSGI entrypoint; gunicorn loads it through site/gunicorn.conf.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
application = get_wsgi_application()
