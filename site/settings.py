"""
Settings for quick_publisher, read from the environment.

Defaults are production-safe: debug is off unless DJANGO_DEBUG=1, and the site
refuses to start without a secret key when it is. Everything a deployment needs
to change is an environment variable (see the README's configuration table).
"""

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}.")


def _env_number(name, default, kind, what):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}.") from None


def env_int(name, default):
    return _env_number(name, default, int, "a whole number")


def env_float(name, default):
    return _env_number(name, default, float, "a number")


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """
    Django's settings for `postgres://user:password@host:port/name?option=value`.
    Parsed by hand: one scheme, five parts and libpq's own options
    (`sslmode=require`, say) need no dependency.
    """
    parts = urlsplit(url)
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # Never print the password.
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// (or be empty for SQLite in DATA_DIR), not {shown!r}."
        )
    name = unquote(parts.path.lstrip("/"))
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"DATABASE_URL has a port that is not a number: {shown!r}.") from None
    if not name or "/" in name:
        raise ImproperlyConfigured(f"DATABASE_URL must name one database after the host, as in /blog: {shown!r}.")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production (DJANGO_DEBUG=0) refuses to "
            'start without it; generate one with: python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

# The blog's name and one line about it: in page titles, the masthead, feeds and mails.
SITE_NAME = " ".join(os.environ.get("SITE_NAME", "quick_publisher").split())[:100] or "quick_publisher"
SITE_DESCRIPTION = " ".join(os.environ.get("SITE_DESCRIPTION", "Writing from a small, self-hosted blog.").split())[:300]
# The pages' language (<html lang>), as a tag. These three are where a new
# site starts: an Administrator changes them in the admin's site settings.
SITE_LANGUAGE = os.environ.get("SITE_LANGUAGE", "en").strip() or "en"
if not re.fullmatch(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*", SITE_LANGUAGE):
    raise ImproperlyConfigured(f"SITE_LANGUAGE must be a language tag such as en or pt-BR, not {SITE_LANGUAGE!r}.")

# The utm_source values counted as where readers came from (the dashboard,
# the report mail); any other is text a stranger chose, so only the Referer's
# host counts then.
READ_SOURCES = frozenset(
    env_list(
        "READ_SOURCES", "newsletter,mail,rss,feed,mastodon,fediverse,bluesky,twitter,x,facebook,linkedin,reddit,hn"
    )
)

# Who may make an account: "open" (anyone signs up and verifies, as a
# Contributor whose posts an Editor publishes), "invite" (only through an
# invitation) or "closed". The first value of the site settings an
# Administrator changes in the admin; this is only where a new site starts.
REGISTRATION = os.environ.get("REGISTRATION", "open").strip().lower() or "open"
if REGISTRATION not in {"open", "invite", "closed"}:
    raise ImproperlyConfigured(f"REGISTRATION must be open, invite or closed, not {REGISTRATION!r}.")

# How much one account may write, by role, so that no account can fill the
# disk or the front page: new posts a day (drafts included), posts published
# or scheduled a day, and the total size of its unpublished drafts (in
# kilobytes), and the pictures it keeps (megabytes, variants included).
# Editors and up have no limit. 0 means none allowed.
QUOTAS = {
    "contributor": {
        "posts_per_day": env_int("QUOTA_CONTRIBUTOR_POSTS_PER_DAY", 20),
        "publishes_per_day": 0,
        "drafts_kb": env_int("QUOTA_CONTRIBUTOR_DRAFTS_KB", 2_000),
        "images_mb": env_int("QUOTA_CONTRIBUTOR_IMAGES_MB", 50),
    },
    "author": {
        "posts_per_day": env_int("QUOTA_AUTHOR_POSTS_PER_DAY", 50),
        "publishes_per_day": env_int("QUOTA_AUTHOR_PUBLISHES_PER_DAY", 20),
        "drafts_kb": env_int("QUOTA_AUTHOR_DRAFTS_KB", 10_000),
        "images_mb": env_int("QUOTA_AUTHOR_IMAGES_MB", 1_000),
    },
}

# Links in mails are built from SITE_URL because the consumer has no request
# to take the host from.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")
_site_url = urlsplit(SITE_URL)
if _site_url.scheme not in {"http", "https"} or not _site_url.netloc:
    raise ImproperlyConfigured(f"SITE_URL must look like https://blog.example.com, not {SITE_URL!r}.")

# Following authors from the fediverse (blog/federation/). Off unless the
# owner chooses it: off, every address is a 404 and nothing is sent.
FEDERATION_ENABLED = env_bool("FEDERATION_ENABLED", False)
# Activities POSTed to any one server a second, across every consumer: a
# post to 10,000 followers on one big instance must not look like a flood
# to it (Mastodon limits and blocks by address). Each server its own pace.
FEDERATION_HOST_MAX_PER_SECOND = env_float("FEDERATION_HOST_MAX_PER_SECOND", 10.0)
if FEDERATION_HOST_MAX_PER_SECOND <= 0:
    raise ImproperlyConfigured("FEDERATION_HOST_MAX_PER_SECOND must be a positive number of requests a second.")
# Let the server fetch from, and post to, private, loopback and link-local
# addresses and plain http (site/fetch.py): for tests and a LAN, never for a
# site on the internet, where it would let anyone make the server reach inside.
FEDERATION_ALLOW_PRIVATE = env_bool("FEDERATION_ALLOW_PRIVATE", False)
# What NodeInfo says this software is (pyproject.toml's version).
SOFTWARE_VERSION = "0.1.0"
CSRF_TRUSTED_ORIGINS = [f"{_site_url.scheme}://{_site_url.netloc}"]

# Behind a reverse proxy that terminates TLS (deploy/Caddyfile) the proxy's
# headers are the only way to know the scheme and the client address; trusting
# them without a proxy would let any client forge both.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if _site_url.scheme == "https":
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    # Both opt-in: an owner who turns on HTTPS for one blog must not lock
    # every subdomain of their domain into HTTPS (includeSubDomains), or ask
    # browsers to hard-code it for months (preload), without deciding to.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# Django's deploy check asks for both (W005, W021); here they are the owner's choice, above.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

DATA_DIR = Path(os.environ.get("DATA_DIR", "") or BASE_DIR).resolve()
if not DATA_DIR.is_dir():
    raise ImproperlyConfigured(f"DATA_DIR {DATA_DIR} is not a folder; create it, owned by the user the site runs as.")

INSTALLED_APPS = [
    "site.apps.QuickPublisherAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # The project package: its backup command, the consumer (run_huey, its
    # housekeeping tasks) and admin templates. Huey's Django app is not
    # installed: it would build the queue while Django is still loading apps,
    # before the queue's module may import a model; site/ brings its command.
    "site.apps.SiteConfig",
    "users",
    "blog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages and feeds get an ETag, and a client that has it gets a 304 and no
    # body. Pages sent with Cache-Control: no-store (anyone logged in) get
    # none. (No Last-Modified: see blog/feeds.py.)
    "django.middleware.http.ConditionalGetMiddleware",
    "site.middleware.security_headers",
    "site.middleware.request_size_limit",
    "site.middleware.refuse_nul",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pictures from DATA_DIR/media, the same way (blog/media/serving.py).
    "blog.media.serving.media_files",
    # A post imported from another blog answers at its old addresses (a 404
    # here, or WordPress's /?p=123) with a redirect, before any kept page.
    "blog.redirects.old_addresses",
    # Before sessions, CSRF and the database: an anonymous reader's page is
    # answered from the shared page cache when it is there (site/pages.py).
    "site.pages.PageCache",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "site.middleware.private_pages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "site.middleware.CannotSave",
]

# Every request body is capped: the longest post (100,000 characters, up to
# 12 bytes each once form-encoded) fits, and nothing else needs more. The
# proxy caps bodies too (deploy/Caddyfile). No form takes a file, so file
# parts are dropped unread instead of spooled to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_300_000
FILE_UPLOAD_HANDLERS = ["site.uploads.NoFileUploads"]
# The one exception: an export to import (blog/importers/), written to a
# temporary file as it arrives. Years of a busy WordPress blog are tens of
# megabytes; the import reads it as a stream, whatever its size. The proxy
# lets this one address through at this size too (deploy/Caddyfile).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 200) * 1_000_000
# And pictures (blog/media/): a phone's photo is 3 to 12 MB. Anything with
# more pixels than IMAGE_MAX_MEGAPIXELS is refused before it is decoded (a
# small file can claim a huge picture); what is kept is at most
# IMAGE_MAX_EDGE pixels on its long side, the largest a page ever shows.
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_MB", 20) * 1_000_000
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 60) * 1_000_000
IMAGE_MAX_EDGE = env_int("IMAGE_MAX_EDGE", 2400)
# A picture in no post for this many days is removed (after a day's notice).
IMAGES_UNUSED_DAYS = env_int("IMAGES_UNUSED_DAYS", 30)

ROOT_URLCONF = "site.urls"
WSGI_APPLICATION = "site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "site.context.identity",
                "blog.context.navigation",
            ],
        },
    },
]

# WAL lets readers run while one writer writes; IMMEDIATE takes the write lock
# at BEGIN, so a read-then-write transaction waits for the busy timeout instead
# of failing with "database is locked" at its first write. synchronous=NORMAL
# is durable against process crashes and cannot corrupt the file on power loss
# in WAL mode; it may lose the last commits before a power cut.
#
# Memory-mapped reads serve the web's hot pages without copying them; the
# consumer maps much less (run_huey applies CONSUMER_SQLITE_PRAGMAS),
# since what it reads is a scan (the report planner reads a day of tallies
# for every author) that would otherwise stay resident in it, once per thread.
SQLITE_MMAP_BYTES = 128 * 1024 * 1024
CONSUMER_SQLITE_MMAP_BYTES = 16 * 1024 * 1024
# The commit that takes the WAL past this many pages copies it into the
# database first (an automatic checkpoint). A page view's one-row write was
# that commit while the consumer planned 100,000 reports, and waited 230 ms.
# The consumer's connections keep SQLite's default and do that work; the
# web's only past ~40 MB, a WAL the consumer cuts to nothing every minute
# anyway (site/tasks.py), so without a consumer it still stays bounded.
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
CONSUMER_SQLITE_AUTOCHECKPOINT_PAGES = 1_000


def sqlite_pragmas(mmap_bytes: int, autocheckpoint_pages: int) -> str:
    return (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA temp_store=MEMORY;"
        f"PRAGMA mmap_size={mmap_bytes};"
        f"PRAGMA wal_autocheckpoint={autocheckpoint_pages};"
        "PRAGMA journal_size_limit=67108864;"
        "PRAGMA cache_size=-16000;"
    )


SQLITE_PRAGMAS = sqlite_pragmas(SQLITE_MMAP_BYTES, SQLITE_AUTOCHECKPOINT_PAGES)
CONSUMER_SQLITE_PRAGMAS = sqlite_pragmas(CONSUMER_SQLITE_MMAP_BYTES, CONSUMER_SQLITE_AUTOCHECKPOINT_PAGES)
# Unset: SQLite in DATA_DIR, one box. A postgres:// URL: PostgreSQL, for
# several web and consumer machines (README, "Past one box").
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DATABASES = {
    "default": {
        **(
            database_from_url(DATABASE_URL)
            if DATABASE_URL
            else {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": DATA_DIR / "db.sqlite3",
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": SQLITE_PRAGMAS},
            }
        ),
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Anonymous readers' pages are kept whole in a cache every worker shares
# (site/pages.py), forgotten at once by any change that shows on them; the
# expiry only bounds how long a copy lives if nobody changes anything.
# On one box, files in DATA_DIR: no server, no writes to the database.
# Past one box the web machines must share one cache, so with PostgreSQL it
# is a table there (made by `migrate`). DJANGO_PAGE_CACHE picks either
# ("file" or "database") or "off".
PAGE_CACHE = os.environ.get("DJANGO_PAGE_CACHE", "").strip().lower() or ("database" if DATABASE_URL else "file")
PAGE_CACHE_TABLE = "page_cache"
PAGE_CACHE_BACKENDS = {
    "file": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "page-cache"),
    },
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": PAGE_CACHE_TABLE},
    "off": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
if PAGE_CACHE not in PAGE_CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"DJANGO_PAGE_CACHE must be one of {', '.join(PAGE_CACHE_BACKENDS)}, not {PAGE_CACHE!r}."
    )
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # A few thousand pages; past that a third of them are dropped at random.
    "pages": {**PAGE_CACHE_BACKENDS[PAGE_CACHE], "OPTIONS": {"MAX_ENTRIES": 5000}},
}

AUTH_USER_MODEL = "users.User"
# Every password check goes through the login throttle, the admin's included.
AUTHENTICATION_BACKENDS = ["users.backends.ThrottledModelBackend"]
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "blog:post-list"
LOGOUT_REDIRECT_URL = "blog:post-list"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A verification link stops working after this many seconds; the reconciler
# stops owing the mail at the same moment, since the link inside would be dead.
VERIFICATION_MAX_AGE = env_int("VERIFICATION_MAX_AGE", 3 * 24 * 60 * 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

_report_time = os.environ.get("REPORT_TIME", "07:00").strip()
_match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", _report_time)
if not _match:
    raise ImproperlyConfigured(f"REPORT_TIME must be HH:MM in 24-hour time, not {_report_time!r}.")
REPORT_HOUR, REPORT_MINUTE = int(_match[1]), int(_match[2])

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
# Pictures live in DATA_DIR/media on one box, served by the web process or
# by the proxy (deploy/Caddyfile); past one box, in an S3-compatible bucket
# (MEDIA_S3_BUCKET), its keys from the environment as boto3 reads them
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Names are the content's hash,
# so a file never changes and is cached for a year. MEDIA_URL is where
# readers fetch them: the bucket's public address, or a CDN's.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
MEDIA_S3_ENDPOINT_URL = os.environ.get("MEDIA_S3_ENDPOINT_URL", "").rstrip("/")
if MEDIA_S3_BUCKET:
    _media_default = (
        f"{MEDIA_S3_ENDPOINT_URL}/{MEDIA_S3_BUCKET}/"
        if MEDIA_S3_ENDPOINT_URL
        else f"https://{MEDIA_S3_BUCKET}.s3.amazonaws.com/"
    )
    MEDIA_URL = os.environ.get("MEDIA_URL", "") or _media_default
    _media_storage: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("MEDIA_S3_REGION", "") or None,
            "addressing_style": "path" if MEDIA_S3_ENDPOINT_URL else None,
            "querystring_auth": False,
            "file_overwrite": True,  # A name is its content: writing it again writes the same bytes.
            "default_acl": os.environ.get("MEDIA_S3_ACL", "") or None,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
else:
    MEDIA_URL = os.environ.get("MEDIA_URL", "") or "/media/"
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT,
            "base_url": MEDIA_URL,
            "file_permissions_mode": 0o644,
            "directory_permissions_mode": 0o755,
        },
    }
if not MEDIA_URL.endswith("/") or not (MEDIA_URL.startswith("/") or urlsplit(MEDIA_URL).scheme in {"http", "https"}):
    raise ImproperlyConfigured(f"MEDIA_URL must be a path or an http(s) URL ending in '/', not {MEDIA_URL!r}.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "media": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "site.devmail.SavedMailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
# Where development mode saves each mail as a .eml file (site/devmail.py).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "") or str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A stalled SMTP server must not pin a worker thread forever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# A provider's sending limit: the consumer hands at most this many mails a
# second to SMTP, across all its threads and processes. Empty: no limit.
EMAIL_MAX_PER_SECOND = env_float("EMAIL_MAX_PER_SECOND", 0.0)
if EMAIL_MAX_PER_SECOND < 0:
    raise ImproperlyConfigured("EMAIL_MAX_PER_SECOND must be a positive number of mails, or empty for no limit.")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "quick_publisher <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Reports and new-post mail are bulk mail; providers advise sending it from
# another address than account mail, so a complaint about one never holds
# up a password reset.
NEWSLETTER_FROM_EMAIL = os.environ.get("NEWSLETTER_FROM_EMAIL", "").strip() or DEFAULT_FROM_EMAIL

# The queue lives where the data lives: a second SQLite file in DATA_DIR, or
# Huey's own tables in the same PostgreSQL database, whose LISTEN/NOTIFY
# wakes a waiting consumer at once. Never a third server.
QUEUE_STORAGE: dict[str, object] = (
    {"huey_class": "site.queue.QueuePostgresHuey"}
    if DATABASE_URL
    else {"huey_class": "site.queue.QueueHuey", "filename": str(DATA_DIR / "huey.sqlite3"), "timeout": 20}
)
HUEY = {
    **QUEUE_STORAGE,
    "name": "quick_publisher",
    # Explicit: djhuey would default this to DEBUG and send mail inside the
    # request in development. Tests switch it on for themselves.
    "immediate": False,
    # Nobody reads task return values; storing them would only grow the file.
    "results": False,
    # The queue keeps time in UTC: in naive local time a retry scheduled in the
    # autumn's repeated hour ran an hour late or bounced every second. Nothing
    # needs wall-clock schedules from Huey: the daily report's planner
    # computes REPORT_TIME in TIME_ZONE itself (blog.reports.report_due_day).
    "utc": True,
    "consumer": {
        "workers": env_int("HUEY_WORKERS", 4),
        "worker_type": "thread",
        # An idle consumer polls every 0.1 s, so a fresh mail waits ~50 ms for
        # it, not up to Huey's default ten seconds. That is ~40 tiny reads a
        # second on four threads: 0.45 s of CPU a minute against 0.16 s at a
        # 1 s ceiling (make bench, section 2).
        "initial_delay": 0.1,
        "backoff": 1.15,
        "max_delay": env_float("HUEY_MAX_DELAY", 0.1),
        "scheduler_interval": 1,
        "check_worker_health": True,
        # systemd stops services with SIGTERM: make it the graceful one, so
        # mail in flight finishes before the consumer exits.
        "graceful_signal": "TERM",
        "shutdown_timeout": 60,
    },
}

# gunicorn's access log (site/gunicorn.conf.py) pairs each reader's address
# and browser with the post they read, which the site otherwise never keeps
# (README, "What counts as a read"): off unless asked for.
ACCESS_LOG = env_bool("ACCESS_LOG", False)

# One level for everything the site and its consumer log (DJANGO_LOG_LEVEL is
# the older name of the same setting).
LOG_LEVEL = (os.environ.get("LOG_LEVEL") or os.environ.get("DJANGO_LOG_LEVEL") or "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"quiet_housekeeping": {"()": "site.logs.QuietHousekeeping"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
            "filters": ["quiet_housekeeping"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "huey": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # In development, where each mail was saved, whatever the level: it is
        # how a newcomer finds the verification link.
        "site.devmail": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
