"""
Rate limits for signup, resend, password reset and login, counted in the database.

Fixed windows: a key may be hit `limit` times per `window` seconds; once it is
over, it cools off until the window ends. No permanent lock-out anywhere.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import connection
from django.utils import timezone

from users.models import RateLimitCounter, email_normalize


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
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after

    @property
    def wait_text(self) -> str:
        """How long to wait, for a message to the person: "1 minute", "15 minutes"."""
        minutes = max(1, round(self.retry_after / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


# One limit applied to one subject: (SIGNUP_PER_IP, "203.0.113.9").
Check = tuple[Limit, object]


def login_checks(*, client: str, email: str) -> tuple[Check, ...]:
    """The limits on failed logins: per client address and per account."""
    return ((LOGIN_FAILURES_PER_IP, client), (LOGIN_FAILURES_PER_EMAIL, email_normalize(email)))


def _window(limit: Limit, now: datetime) -> datetime:
    start = int(now.timestamp()) // limit.window * limit.window
    return datetime.fromtimestamp(start, tz=dt_timezone.utc)


def _key(limit: Limit, subject: object) -> str:
    return f"{limit.name}:{subject}"[:200]


def _throttled(limit: Limit, window: datetime, now: datetime) -> Throttled:
    return Throttled(retry_after=int((window + timedelta(seconds=limit.window) - now).total_seconds()) + 1)


def _longest(refusals: list[Throttled]) -> None:
    if refusals:
        raise max(refusals, key=lambda throttled: throttled.retry_after)


def throttle_check(*checks: Check, now: datetime | None = None) -> None:
    """Raise Throttled (with the longest wait) if any subject is over its limit, counting nothing."""
    now = now or timezone.now()
    refusals = []
    for limit, subject in checks:
        window = _window(limit, now)
        hits = (
            RateLimitCounter.objects.filter(key=_key(limit, subject), window_start=window)
            .values_list("hits", flat=True)
            .first()
        )
        if hits is not None and hits >= limit.limit:
            refusals.append(_throttled(limit, window, now))
    _longest(refusals)


def throttle_hit(*checks: Check, now: datetime | None = None) -> None:
    """Count one hit on every check; then raise Throttled (with the longest wait) if any went over."""
    now = now or timezone.now()
    refusals = []
    for limit, subject in checks:
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
            refusals.append(_throttled(limit, window, now))
    _longest(refusals)


def throttles_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    return RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]
