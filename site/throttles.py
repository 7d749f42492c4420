"""
Rate limits counted in the database, shared by every worker (the limits
themselves live with their forms: users/throttles.py, blog/views.py).

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

from site.models import RateLimitCounter
from site.sql import count_up


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int  # seconds


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


def throttle_key(limit: Limit, subject: object) -> str:
    key = f"{limit.name}:{subject}"
    if len(key) > 200:
        # Never cut: a cut key would merge subjects (every client of a long address into one).
        key = f"{limit.name}:sha256:{hashlib.sha256(str(subject).encode()).hexdigest()}"
    return key


def _counts(limit: Limit, subject: object, window: datetime) -> tuple[int, int]:
    """Hits in the previous and the current window."""
    rows = dict(
        RateLimitCounter.objects.filter(
            key=throttle_key(limit, subject), window_start__in=[window - timedelta(seconds=limit.window), window]
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


def throttle_raise_longest(refusals: list[Throttled]) -> None:
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
    throttle_raise_longest(refusals)


def throttle_count(limit: Limit, subject: object, now: datetime) -> tuple[float, Throttled | None]:
    """Count one hit; return the estimate with it, and the refusal if that is over the limit."""
    window, elapsed = _window(limit, now)
    # In-database statements with RETURNING, as for view counts: no
    # read-then-create to race another worker.
    current = count_up(
        table=RateLimitCounter._meta.db_table,
        column="hits",
        key={"key": throttle_key(limit, subject), "window_start": connection.ops.adapt_datetimefield_value(window)},
    )
    previous, _ = _counts(limit, subject, window)
    estimate = _estimate(previous, current, elapsed)
    return estimate, (_throttled(limit, previous, current, elapsed) if estimate > limit.limit else None)


def throttle_hit(*checks: Check, now: datetime | None = None) -> None:
    """Count one hit on every check; then raise Throttled (with the longest wait) if any went over."""
    now = now or timezone.now()
    throttle_raise_longest(
        [refusal for limit, subject in checks if (refusal := throttle_count(limit, subject, now)[1])]
    )


def throttle_refusal(judge: Callable[..., None], *checks: Check, now: datetime) -> Throttled | None:
    try:
        judge(*checks, now=now)
    except Throttled as throttled:
        return throttled
    return None


def throttle_forget(limit: Limit, subject: object) -> None:
    RateLimitCounter.objects.filter(key=throttle_key(limit, subject)).delete()


def throttles_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    return RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]
