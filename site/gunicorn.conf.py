"""gunicorn configuration: `gunicorn -c site/gunicorn.conf.py`."""
import os
import site
from pathlib import Path

# See manage.py: the stdlib owns the name `site`, so point it at our folder
# before gunicorn imports site.wsgi.
site.__path__ = [str(Path(__file__).resolve().parent)]

wsgi_app = "site.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Page views are short and SQLite serialises writes, so a few sync workers
# keep a small box busy without piling up lock waits.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
chdir = str(Path(__file__).resolve().parent.parent)
