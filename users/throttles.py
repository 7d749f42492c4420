"""
Rate limits for signup, resend and login, counted in the database.

Fixed windows: a key may be hit `limit` times per `window` seconds; once it is
over, it cools off until the window ends. No permanent lock-out anywhere.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import transaction
from django.db.models import F
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


def _window(limit, now):
    start = int(now.timestamp()) // limit.window * limit.window
    return datetime.fromtimestamp(start, tz=dt_timezone.utc)


def _key(limit, subject):
    return f"{limit.name}:{subject}"[:200]


def throttle_check(limit, subject, now=None):
    """Raise Throttled if `subject` is over `limit`, without counting a hit."""
    now = now or timezone.now()
    window = _window(limit, now)
    hits = RateLimitCounter.objects.filter(key=_key(limit, subject), window_start=window).values_list("hits", flat=True).first()
    if hits is not None and hits >= limit.limit:
        raise Throttled(retry_after=int((window + timedelta(seconds=limit.window) - now).total_seconds()) + 1)


def throttle_hit(limit, subject, now=None):
    """Count one hit; raise Throttled if that goes over the limit."""
    now = now or timezone.now()
    window, key = _window(limit, now), _key(limit, subject)
    # IMMEDIATE transaction: the write lock is held from BEGIN, so the
    # update-or-create cannot race another worker.
    with transaction.atomic():
        if not RateLimitCounter.objects.filter(key=key, window_start=window).update(hits=F("hits") + 1):
            RateLimitCounter.objects.create(key=key, window_start=window, hits=1)
        hits = RateLimitCounter.objects.get(key=key, window_start=window).hits
    if hits > limit.limit:
        raise Throttled(retry_after=int((window + timedelta(seconds=limit.window) - now).total_seconds()) + 1)


def throttle_reset(limit, subject):
    RateLimitCounter.objects.filter(key=_key(limit, subject)).delete()


def throttles_purge(*, older_than=timedelta(days=1)):
    return RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]
