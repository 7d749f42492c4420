"""
Real parts for the integration tests and the benchmarks: a loopback SMTP
server, the site under gunicorn with its run_huey consumer, and a small
cookie-keeping HTTP client. Used by tests/conftest.py and bench/stacks.py.
"""

import asyncio
import collections
import email
import email.policy
import http.cookiejar
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

from harness.ports import free_port
from harness.postgres import database_fresh

# aiosmtpd logs every SMTP command at INFO; the tests assert on what arrives.
logging.getLogger("mail.log").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parent.parent
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def wait_for(predicate, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class Inbox:
    """aiosmtpd handler that keeps what it accepts; can be held shut, slowed or made to refuse."""

    def __init__(self):
        self.messages = []
        self.delay = 0.0
        self.reply = None  # e.g. "550 no such user" to refuse every message
        self.attempts = 0
        self.arrivals = []  # (recipient, wall-clock time accepted), in order
        self.open = threading.Event()
        self.open.set()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.attempts += 1
        while not self.open.is_set():
            await asyncio.sleep(0.02)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.arrivals.append((str(message["To"]), time.time()))
        return "250 OK"

    def to(self, address):
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def subjects(self):
        with self._lock:
            return [str(m["Subject"]) for m in self.messages]

    def addresses(self):
        """How many messages each recipient got: lost ones are missing, duplicates count above 1."""
        with self._lock:
            return collections.Counter(str(m["To"]) for m in self.messages)


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.down()

    def down(self):
        """Stop listening: connections are refused, like a mail server that is off."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def up(self):
        if self.controller is None:
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()


def collectstatic(static_root):
    """Collect the static files once into `static_root`: production settings serve the manifest."""
    Path(static_root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qp-collect-") as data_dir:
        LiveSite(Path(data_dir), 25, static_root, database_url="").manage("collectstatic", "--no-input", "-v0")
    return static_root


class LiveSite:
    """
    gunicorn + run_huey on a temporary DATA_DIR, production settings, real
    SMTP. On SQLite (the default) the database is DATA_DIR's file; when the
    suite runs on PostgreSQL (DATABASE_URL set), each site gets a fresh
    database on that server, and its queue with it.
    """

    def __init__(self, tmp_path, smtp_port, static_root, extra_env=None, database_url=None):
        self.data_dir = tmp_path
        if database_url is None and os.environ.get("DATABASE_URL"):
            database_url = database_fresh(os.environ["DATABASE_URL"])
        self.database_url = database_url or ""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "integration-test-secret-" + "y" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.url,
            "DATA_DIR": str(tmp_path),
            "STATIC_ROOT": str(static_root),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            **({"DATABASE_URL": self.database_url} if self.database_url else {}),
            **(extra_env or {}),
        }
        self.processes = {}
        self.logs = {}
        # Processes whose real work runs in a forked child (unshare --fork):
        # signals go to that child, as a container runtime signals its PID 1.
        self.forked = set()

    def migrate(self):
        """An empty, migrated database in this site's DATA_DIR."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--no-input", "-v0")

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-c", code).stdout

    def manage(self, *args, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=check
        )

    def spawn(self, name, argv):
        log = open(self.data_dir / f"{name}.log", "w")
        self.logs[name] = self.data_dir / f"{name}.log"
        self.processes[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_web(self, app=None):
        """gunicorn as deployed; `app` names another WSGI app (the benchmarks' modes)."""
        self.spawn("web", [sys.executable, "-m", "gunicorn", "-c", "site/gunicorn.conf.py", *([app] if app else [])])
        wait_for(self._web_answers, 30, message=f"gunicorn on {self.url}; log:\n{self.log('web')}")

    def start_consumer(self, name="consumer", hostname=None, own_pids=False):
        """
        A `run_huey` process. `hostname` runs it as if on another machine (its
        own UTS namespace and that name); `own_pids` in a PID namespace of its
        own with its own /proc, as in a container. Either way, `stop` signals
        the consumer itself.
        """
        argv = [sys.executable, "manage.py", "run_huey"]
        if hostname or own_pids:
            inner = ["sh", "-c", 'hostname "$0" && exec "$@"', hostname, *argv] if hostname else argv
            flags = ["--uts"] * bool(hostname) + ["--pid", "--fork", "--kill-child", "--mount-proc"] * own_pids
            argv = ["unshare", *flags, *inner]
        self.spawn(name, argv)
        if own_pids:
            self.forked.add(name)
        wait_for(lambda: "consumer" in self.log(name).lower(), 30, message=f"run_huey ({name}) to start")

    def _web_answers(self):
        """Any HTTP answer counts (an https site redirects plain requests)."""
        status, _, _ = Client(self.url).get("/")
        return status is not None

    def stop(self, name, sig=None):
        process = self.processes.pop(name, None)
        if process is None:
            return
        sig = signal.SIGTERM if sig is None else sig
        if name in self.forked:
            # unshare ignores SIGTERM while it waits for its child (and its
            # --kill-child SIGKILLs the child when unshare itself dies).
            for child in _children(process.pid) or [process.pid]:
                try:
                    os.kill(child, sig)
                except ProcessLookupError:
                    pass
        else:
            process.send_signal(sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)

    def log(self, name):
        path = self.logs.get(name)
        return path.read_text() if path and path.exists() else ""

    @property
    def engine(self):
        return "postgresql" if self.database_url else "sqlite"

    def db(self, sql, params=()):
        """Rows of one statement on the site's database, either engine (`?` placeholders)."""
        if self.database_url:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                cursor = conn.execute(sql.replace("?", "%s"), params)
                return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        # Closed at once: a connection left to the garbage collector would
        # checkpoint its (by then stale) WAL into whatever file is there when
        # it goes, such as a database just restored from a backup.
        conn = sqlite3.connect(self.data_dir / "db.sqlite3", timeout=20)
        try:
            with conn:
                return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _children(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Client:
    """Just enough of a browser: cookies, CSRF tokens from forms, no redirect following."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base_url, headers=None):
        self.base_url = base_url
        # As a browser says it: scripts' own user agents are bots, whose reads do not count.
        self.headers = {"User-Agent": BROWSER_UA, **(headers or {})}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect())

    def request(self, path, data=None, headers=None, timeout=30):
        """(status, headers, body); status None when nothing answered (refused, reset, timed out)."""
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.base_url + "/", **self.headers, **(headers or {})}
        request = urllib.request.Request(url, data=body, headers=headers)
        try:
            response = self.opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error
        except (urllib.error.URLError, ConnectionError, OSError):
            return None, {}, ""
        return response.status, dict(response.headers), response.read().decode()

    def get(self, path, headers=None, timeout=30):
        return self.request(path, headers=headers, timeout=timeout)

    def csrf_token(self, path):
        """Load a form page (setting the CSRF cookie) and return its token."""
        _, _, page = self.get(path)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    def post_form(self, path, fields):
        return self.request(path, {"csrfmiddlewaretoken": self.csrf_token(path), **fields})

    def post_file(self, path, fields, name, file_name, data, content_type, *, token_from, timeout=60):
        """A multipart form with one file, as a browser's script sends it (CSRF in the header)."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Referer": self.base_url + "/",
            **self.headers,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": self.csrf_token(token_from),
        }
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            response = self.opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error
        return response.status, dict(response.headers), response.read().decode()


# Debian's Chromium as the browser tests and the gallery launch it: no
# sandbox (root in a container), and none of its calls home, which this
# machine's closed network would refuse many at a time.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
