"""gunicorn configuration: `gunicorn -c site/gunicorn.conf.py`."""

import os
from pathlib import Path

import site

# See manage.py: the stdlib owns the name `site`, so point it at our folder
# before gunicorn imports site.wsgi.
site.__path__ = [str(Path(__file__).resolve().parent)]

from site.settings import ACCESS_LOG, BEHIND_PROXY, DATA_DIR  # noqa: E402 (needs the __path__ above)

wsgi_app = "site.wsgi:application"
# gunicorn would trust X-Forwarded-Proto (and friends) from loopback by
# default, so anything on the box could claim TLS. Trust follows the same
# setting as Django's: only the proxy on loopback, and only when there is one.
forwarded_allow_ips = "127.0.0.1,::1" if BEHIND_PROXY else ""
if BEHIND_PROXY:
    # The proxy is every request's peer: log the client it reports instead.
    access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Page views are short and SQLite serialises writes, so a few workers keep a
# small box busy without piling up lock waits. Each serves several requests
# at once on threads: a sync worker is held for as long as one slow client
# takes to send its body, and three such clients took the whole site down.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# Load Django once in the master and fork the workers from it: they share the
# loaded code copy-on-write, which on a small box saves tens of MB per worker.
preload_app = True
timeout = 30
graceful_timeout = 30
accesslog = "-" if ACCESS_LOG else None
errorlog = "-"
chdir = str(Path(__file__).resolve().parent.parent)
# gunicorn's control socket (for gunicornc) defaults to one path per user:
# a second site on the box would take over the first one's. Each site's is
# beside its data, private to the site's user like the rest of DATA_DIR.
control_socket = str(DATA_DIR / "gunicorn.ctl")


def direct_exposure_warning(binds: list[str], behind_proxy: bool) -> str | None:
    """
    What to say when gunicorn listens beyond loopback with no proxy in front:
    a few slow clients holding requests open can take every thread, which a
    buffering proxy (deploy/Caddyfile) absorbs. Unsupported, and said loudly.
    """
    exposed = [
        bind
        for bind in binds
        if not bind.startswith(("127.", "localhost:", "[::1]:", "unix:", "fd://")) and bind != "localhost"
    ]
    if not exposed or behind_proxy:
        return None
    return (
        f"gunicorn listens on {', '.join(exposed)} with no proxy in front (DJANGO_BEHIND_PROXY is off): "
        "unsupported. Slow clients can hold every thread; put Caddy in front as the README's deploy does."
    )


def when_ready(server) -> None:
    if warning := direct_exposure_warning(list(server.cfg.bind), BEHIND_PROXY):
        server.log.warning(warning)
    from site.pages import pages_forget_all

    pages_forget_all()


def post_fork(server, worker) -> None:
    # Nothing opened in the master may be shared with a worker: SQLite
    # connections must not cross a fork. Both are opened lazily again.
    from django.db import connections
    from huey.contrib.djhuey import HUEY

    connections.close_all()
    HUEY.storage.close()
