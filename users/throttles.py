"""
Rate limits for signup, resend, password reset and login, counted in the database.

Sliding windows: a subject may be hit `limit` times in any `window` seconds,
estimated from per-window counters (the previous window's count, weighted by
how much of it still overlaps, plus the current one), so a burst around a
window's edge gets no double allowance. Hits are counted before they are
judged, so concurrent requests cannot all slip under the limit. No permanent
lock-out anywhere.
"""

import hashlib
import math
from collections.abc import Callable
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
# Login: attempts per client, attempts per account from one client, and
# failures per account. The last one only stops clients that have already
# failed on that account, so strangers cannot lock its owner out.
LOGIN_PER_CLIENT = Limit("login:ip", 30, 900)
LOGIN_PER_ACCOUNT_CLIENT = Limit("login:acct-ip", 10, 900)
LOGIN_FAILURES_PER_ACCOUNT = Limit("login:acct", 10, 900)


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


def _window(limit: Limit, now: datetime) -> tuple[datetime, float]:
    """The current window's start, and how far into it `now` is (0 to 1)."""
    seconds = now.timestamp()
    start = int(seconds) // limit.window * limit.window
    return datetime.fromtimestamp(start, tz=dt_timezone.utc), (seconds - start) / limit.window


def _key(limit: Limit, subject: object) -> str:
    key = f"{limit.name}:{subject}"
    if len(key) > 200:
        # Never cut: a cut key would merge subjects (every client of a long address into one).
        key = f"{limit.name}:sha256:{hashlib.sha256(str(subject).encode()).hexdigest()}"
    return key


def _account(email: str) -> str:
    """A fixed-length name for an account in keys, so one account's keys are never a prefix of another's."""
    return hashlib.sha256(email_normalize(email).encode()).hexdigest()[:32]


def _counts(limit: Limit, subject: object, window: datetime) -> tuple[int, int]:
    """Hits in the previous and the current window."""
    rows = dict(
        RateLimitCounter.objects.filter(
            key=_key(limit, subject), window_start__in=[window - timedelta(seconds=limit.window), window]
        ).values_list("window_start", "hits")
    )
    return rows.get(window - timedelta(seconds=limit.window), 0), rows.get(window, 0)


def _estimate(previous: int, current: int, elapsed: float) -> float:
    return previous * (1 - elapsed) + current


def _throttled(limit: Limit, previous: int, current: int, elapsed: float) -> Throttled:
    """How long until one more hit fits: later in this window, or some way into the next."""
    room = limit.limit - current - 1
    if room >= 0 and previous:
        wait = (1 - room / previous - elapsed) * limit.window
    else:
        wait = (1 - elapsed) * limit.window + max(0.0, 1 - (limit.limit - 1) / max(current, 1)) * limit.window
    return Throttled(retry_after=max(1, math.ceil(wait)))


def _longest(refusals: list[Throttled]) -> None:
    if refusals:
        raise max(refusals, key=lambda throttled: throttled.retry_after)


def throttle_check(*checks: Check, now: datetime | None = None) -> None:
    """Raise Throttled (with the longest wait) if one more hit would put any subject over its limit."""
    now = now or timezone.now()
    refusals = []
    for limit, subject in checks:
        window, elapsed = _window(limit, now)
        previous, current = _counts(limit, subject, window)
        if _estimate(previous, current + 1, elapsed) > limit.limit:
            refusals.append(_throttled(limit, previous, current, elapsed))
    _longest(refusals)


def _hit(limit: Limit, subject: object, now: datetime) -> tuple[float, Throttled | None]:
    """Count one hit; return the estimate with it, and the refusal if that is over the limit."""
    window, elapsed = _window(limit, now)
    # One upsert with RETURNING, as for view counts: no read-then-create to
    # race another worker, and one statement under SQLite's write lock.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RateLimitCounter._meta.db_table} AS counter (key, window_start, hits) "
            "VALUES (%s, %s, 1) ON CONFLICT (key, window_start) DO UPDATE SET hits = counter.hits + 1 "
            "RETURNING hits",
            [_key(limit, subject), connection.ops.adapt_datetimefield_value(window)],
        )
        current = cursor.fetchone()[0]
    previous, _ = _counts(limit, subject, window)
    estimate = _estimate(previous, current, elapsed)
    return estimate, (_throttled(limit, previous, current, elapsed) if estimate > limit.limit else None)


def throttle_hit(*checks: Check, now: datetime | None = None) -> None:
    """Count one hit on every check; then raise Throttled (with the longest wait) if any went over."""
    now = now or timezone.now()
    _longest([refusal for limit, subject in checks if (refusal := _hit(limit, subject, now)[1])])


def _refusal(judge: Callable[..., None], *checks: Check, now: datetime) -> Throttled | None:
    try:
        judge(*checks, now=now)
    except Throttled as throttled:
        return throttled
    return None


def _forget(limit: Limit, subject: object) -> None:
    RateLimitCounter.objects.filter(key=_key(limit, subject)).delete()


def login_attempt(*, client: str, email: str, check: Callable[[], bool], now: datetime | None = None) -> bool:
    """
    Judge one login attempt (a password, at any way in: the site's login, the
    admin's, a password change). It is counted before `check()` runs, so
    concurrent guesses cannot slip under the limit; raises Throttled instead
    of running it when the client is over its limits, or when the account is
    under attack and this is not the client's first attempt on it.
    """
    now = now or timezone.now()
    account = _account(email)
    account_client = f"{account}|{client}"
    # Counted first: concurrent attempts from one client get distinct counts,
    # so under attack exactly one of them is the client's first.
    attempts, refusal = _hit(LOGIN_PER_ACCOUNT_CLIENT, account_client, now)
    refusals = [refusal] if refusal else []
    if attempts > 1:  # Under attack, only a client's first attempt on the account is judged.
        refusals.append(_refusal(throttle_check, (LOGIN_FAILURES_PER_ACCOUNT, account), now=now))
    refusals.append(_refusal(throttle_hit, (LOGIN_PER_CLIENT, client), now=now))
    refusals = [refusal for refusal in refusals if refusal]
    _longest(refusals)  # The longest wait, so Retry-After is honest.
    if check():
        _forget(LOGIN_PER_ACCOUNT_CLIENT, account_client)  # This client knows the password.
        return True
    try:
        throttle_hit((LOGIN_FAILURES_PER_ACCOUNT, account), now=now)
    except Throttled:
        pass  # Counted: from now on only a client's first attempt gets a try.
    return False


def login_unlock(*, email: str) -> None:
    """The owner proved they hold the mailbox (a password reset): every cool-off on this account, and no other, ends."""
    account = _account(email)
    _forget(LOGIN_FAILURES_PER_ACCOUNT, account)
    # `account` is fixed-length and followed by "|": no other account's keys share this prefix.
    RateLimitCounter.objects.filter(key__startswith=_key(LOGIN_PER_ACCOUNT_CLIENT, f"{account}|")).delete()


def throttles_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    return RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]
