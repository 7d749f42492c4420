"""
Rate limits for signup, resend, password reset and login, counted in the database.

Fixed windows: a key may be hit `limit` times per `window` seconds; once it is
over, it cools off until the window ends. No permanent lock-out anywhere.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import connection
from django.utils import timezone

from users.models import RateLimitCounter


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int  # seconds


SIGNUP_PER_IP = Limit("signup:ip", 10, 3600)
SIGNUP_PER_EMAIL = Limit("signup:email", 3, 3600)
RESEND_PER_ACCOUNT = Limit("resend:user", 3, 3600)
RESEND_PER_IP = Limit("resend:ip", 10, 3600)
RESET_PER_IP = Limit("reset:ip", 10, 3600)
RESET_PER_EMAIL = Limit("reset:email", 3, 3600)
LOGIN_FAILURES_PER_IP = Limit("login:ip", 30, 900)
LOGIN_FAILURES_PER_EMAIL = Limit("login:email", 10, 900)


class Throttled(Exception):
    def __init__(self, retry_after):
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after

    @property
    def wait_text(self):
        """How long to wait, for a message to the person: "1 minute", "15 minutes"."""
        minutes = max(1, round(self.retry_after / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _window(limit, now):
    start = int(now.timestamp()) // limit.window * limit.window
    return datetime.fromtimestamp(start, tz=dt_timezone.utc)


def _key(limit, subject):
    return f"{limit.name}:{subject}"[:200]


def _throttled(limit, window, now):
    return Throttled(retry_after=int((window + timedelta(seconds=limit.window) - now).total_seconds()) + 1)


def throttle_check(limit, subject, now=None):
    """Raise Throttled if `subject` is over `limit`, without counting a hit."""
    now = now or timezone.now()
    window = _window(limit, now)
    hits = RateLimitCounter.objects.filter(key=_key(limit, subject), window_start=window).values_list("hits", flat=True).first()
    if hits is not None and hits >= limit.limit:
        raise _throttled(limit, window, now)


def throttle_hit(limit, subject, now=None):
    """Count one hit; raise Throttled if that goes over the limit."""
    now = now or timezone.now()
    window = _window(limit, now)
    # One upsert with RETURNING, as for view counts: no read-then-create to
    # race another worker, and one statement under SQLite's write lock.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RateLimitCounter._meta.db_table} (key, window_start, hits) VALUES (%s, %s, 1) "
            "ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits",
            [_key(limit, subject), connection.ops.adapt_datetimefield_value(window)],
        )
        hits = cursor.fetchone()[0]
    if hits > limit.limit:
        raise _throttled(limit, window, now)


def throttles_purge(*, older_than=timedelta(days=1)):
    return RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]
