from datetime import timedelta

import pytest
from django.utils import timezone

from site.models import RateLimitCounter
from users import throttles

pytestmark = pytest.mark.django_db


LIMIT = throttles.Limit("test", 2, 60)


def test_hits_over_the_limit_are_refused_until_the_told_wait_is_over():
    now = timezone.now().replace(second=1, microsecond=0)
    throttles.throttle_hit((LIMIT, "a"), now=now)
    throttles.throttle_hit((LIMIT, "a"), now=now)
    with pytest.raises(throttles.Throttled) as throttled:
        throttles.throttle_hit((LIMIT, "a"), now=now)
    wait = throttled.value.retry_after
    # Refused hits count too, so hammering keeps a client out for up to two windows.
    assert 0 < wait <= 2 * LIMIT.window
    throttles.throttle_hit((LIMIT, "b"), now=now)  # Other subjects are not affected.
    with pytest.raises(throttles.Throttled):
        throttles.throttle_check((LIMIT, "a"), now=now + timedelta(seconds=wait - 2))  # Not over yet...
    throttles.throttle_hit((LIMIT, "a"), now=now + timedelta(seconds=wait))  # ...and over when told.


@pytest.mark.parametrize("offset", [0, 1, 5, 10, 17])
def test_no_double_allowance_around_a_window_edge(offset):
    limit = throttles.Limit("edge", 10, 900)
    start = timezone.now().replace(minute=14, second=50, microsecond=0) - timedelta(hours=1)  # 10 s before an edge.
    allowed = 0
    for n in range(20):
        try:
            throttles.throttle_hit((limit, "a"), now=start + timedelta(seconds=offset * n / 19))
            allowed += 1
        except throttles.Throttled:
            pass
    assert allowed == limit.limit


def test_purge_drops_old_windows():
    throttles.throttle_hit((LIMIT, "a"), now=timezone.now() - timedelta(days=2))
    throttles.throttle_hit((LIMIT, "a"))
    assert throttles.throttles_purge() == 1
    assert RateLimitCounter.objects.count() == 1


def test_several_limits_are_all_counted_and_the_longest_wait_is_told():
    short, long = throttles.Limit("short", 1, 60), throttles.Limit("long", 1, 3600)
    now = timezone.now().replace(minute=0, second=1, microsecond=0)
    throttles.throttle_hit((short, "a"), (long, "a"), now=now)
    with pytest.raises(throttles.Throttled) as throttled:
        throttles.throttle_hit((short, "a"), (long, "a"), now=now)
    assert throttled.value.retry_after >= 3599  # The long limit's wait, not the short one's.
    assert sorted(RateLimitCounter.objects.values_list("hits", flat=True)) == [2, 2]


def test_a_check_counts_nothing():
    now = timezone.now().replace(second=1, microsecond=0)
    throttles.throttle_check((LIMIT, "a"), now=now)
    assert not RateLimitCounter.objects.exists()
    throttles.throttle_hit((LIMIT, "a"), now=now)
    throttles.throttle_hit((LIMIT, "a"), now=now)
    with pytest.raises(throttles.Throttled):
        throttles.throttle_check((LIMIT, "a"), now=now)
    assert RateLimitCounter.objects.get().hits == 2
