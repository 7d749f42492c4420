"""What counts as a read (blog.readers) and what is kept about readers."""

import ipaddress
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import readers, services
from blog.models import DailySources, DailyViews, PostRead, VisitorKey
from blog.models.tallies import READERS_PER_ADDRESS

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _fresh_keys():
    readers._keys.clear()  # Each test's database starts without the day's key.
    yield
    readers._keys.clear()


def _read(client, post, address="198.51.100.7", agent=BROWSER, method="get", **headers):
    return getattr(client, method)(post.get_absolute_url(), REMOTE_ADDR=address, HTTP_USER_AGENT=agent, **headers)


def _total(post):
    post.refresh_from_db()
    return post.view_count


def test_one_visitor_reloading_is_one_read(client, post):
    for _ in range(4):
        assert _read(client, post).status_code == 200
    assert _total(post) == 1
    assert DailyViews.objects.get(post=post).views == 1


def test_two_visitors_are_two_reads(client, post):
    _read(client, post, address="198.51.100.7")
    _read(client, post, address="198.51.100.8")
    _read(client, post, address="198.51.100.7", agent=BROWSER + " Edg/131.0")  # Another browser on that machine.
    assert _total(post) == 3


def test_visitors_behind_the_proxy_are_told_apart_by_their_forwarded_address(client, post, settings):
    settings.BEHIND_PROXY = True
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.1"):
        _read(client, post, address="127.0.0.1", HTTP_X_FORWARDED_FOR=address)
    assert _total(post) == 2


@pytest.mark.parametrize("agent", ["", "   ", *readers.BOT_MARKERS])
def test_bots_and_scripts_do_not_read(client, post, agent):
    assert (
        _read(client, post, agent=agent if agent.strip() == "" else f"Mozilla/5.0 ({agent.upper()}/1.0)").status_code
        == 200
    )
    assert _total(post) == 0


@pytest.mark.parametrize(
    "agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 HeadlessChrome/131.0",
        "UptimeRobot/2.0 (monitor)",
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html)",
        "Java/17.0.2",
    ],
)
def test_well_known_bots_do_not_read(client, post, agent):
    _read(client, post, agent=agent)
    assert _total(post) == 0


def test_head_requests_do_not_read(client, post):
    assert _read(client, post, method="head").status_code == 200
    assert _total(post) == 0


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_X_MOZ": "prefetch"},
        {"HTTP_X_PURPOSE": "preview"},
    ],
)
def test_prefetches_do_not_read(client, post, header):
    _read(client, post, **header)
    assert _total(post) == 0


def test_the_author_does_not_read_their_own_post(client, post, author, make_user):
    client.force_login(author)
    _read(client, post)
    assert _total(post) == 0
    client.force_login(make_user(email="reader@x.org"))
    _read(client, post)
    assert _total(post) == 1


def test_drafts_scheduled_posts_and_previews_do_not_read(client, author, make_post):
    draft = make_post(title="Draft", published_at=None)
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(days=1))
    client.force_login(author)
    assert _read(client, draft).status_code == 200
    assert _read(client, scheduled).status_code == 200
    client.post(reverse("blog:post-create"), {"title": "P", "content": "x", "preview": "1"}, HTTP_USER_AGENT=BROWSER)
    assert _total(draft) == _total(scheduled) == 0
    assert not PostRead.objects.exists()


def test_the_same_visitor_reads_again_the_next_day(post):
    today = timezone.localdate()
    assert services.post_read_record(post_id=post.pk, visitor="v", day=today - timedelta(days=1)) == 1
    assert services.post_read_record(post_id=post.pk, visitor="v", day=today - timedelta(days=1)) is None
    assert services.post_read_record(post_id=post.pk, visitor="v", day=today) == 2


def test_where_readers_come_from(client, post):
    _read(client, post, address="198.51.100.1", HTTP_REFERER="https://www.news.example/item?id=1")
    _read(client, post, address="198.51.100.2", HTTP_REFERER="https://news.example/")
    _read(client, post, address="198.51.100.3", HTTP_REFERER="http://testserver/")  # Same site: no source.
    client.get(post.get_absolute_url() + "?utm_source=Newsletter", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=BROWSER)
    _read(client, post, address="198.51.100.1", HTTP_REFERER="https://other.example/")  # Read already today.
    assert dict(DailySources.objects.values_list("source", "reads")) == {"news.example": 2, "newsletter": 1}
    assert _total(post) == 4


def test_nothing_kept_names_a_reader(client, post):
    _read(client, post, address="198.51.100.77")
    [row] = PostRead.objects.values_list("visitor", flat=True)
    assert "198.51.100.77" not in row and "Mozilla" not in row and len(row) == 32
    with connection.cursor() as cursor:
        for table in ("blog_postread", "blog_dailyviews", "blog_dailysources", "blog_post"):
            cursor.execute(f"SELECT * FROM {table}")
            assert "198.51.100.77" not in repr(cursor.fetchall())


def test_a_day_once_over_leaves_no_key_and_no_read_rows(client, post):
    today = timezone.localdate()
    _read(client, post)
    VisitorKey.objects.update(day=today - timedelta(days=1))
    PostRead.objects.update(day=today - timedelta(days=1))
    assert readers.readers_forget() == 2
    assert not VisitorKey.objects.exists() and not PostRead.objects.exists()


def test_the_first_read_of_a_new_day_forgets_the_day_before(client, post):
    yesterday = timezone.localdate() - timedelta(days=1)
    VisitorKey.objects.create(day=yesterday, secret=b"x" * 32)
    PostRead.objects.create(post=post, day=yesterday, visitor="an-old-id")
    _read(client, post)
    assert list(VisitorKey.objects.values_list("day", flat=True)) == [timezone.localdate()]
    assert list(PostRead.objects.values_list("day", flat=True)) == [timezone.localdate()]


def test_visitor_ids_depend_on_the_days_key(rf, post):
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=BROWSER)
    today = timezone.localdate()
    first = readers.visitor_id(request, today)
    readers._keys.clear()
    VisitorKey.objects.all().delete()  # The key is gone: the same person gets an unrelated id.
    assert readers.visitor_id(request, today) != first


@pytest.mark.parametrize("spam", ["cheap-pills.example", "Visit our casino", "rss-but-not-quite", "x" * 90])
def test_a_utm_source_nobody_expects_is_not_written_into_dashboards(client, post, spam):
    client.get(post.get_absolute_url(), {"utm_source": spam}, REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=BROWSER)
    client.get(
        post.get_absolute_url(),
        {"utm_source": spam},
        REMOTE_ADDR="198.51.100.10",
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER="https://forum.example/thread",
    )
    assert dict(DailySources.objects.values_list("source", "reads")) == {"forum.example": 1}
    assert _total(post) == 2  # Still reads; only the made-up source is not kept.


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    agents=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
    hosts=st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=30),
    v6=st.booleans(),
)
def test_one_address_counts_as_a_few_readers_at_most_whatever_browsers_it_shows(client, post, agents, hosts, v6):
    # One IPv4 address, or addresses anywhere in one IPv6 /64 (one home connection).
    addresses = [str(ipaddress.IPv6Address((0x20010DB8_00010002 << 64) | h)) if v6 else "198.51.100.7" for h in hosts]
    with transaction.atomic():
        for n, agent in enumerate(agents):
            _read(client, post, address=addresses[n % len(addresses)], agent=f"{BROWSER} Build/{agent}")
        distinct = len(set(agents))
        assert _total(post) == min(distinct, READERS_PER_ADDRESS)
        transaction.set_rollback(True)


def test_readers_at_other_addresses_still_count_when_one_address_is_full(client, post):
    for n in range(READERS_PER_ADDRESS + 3):
        _read(client, post, address="198.51.100.7", agent=f"{BROWSER} {n}")
    assert _total(post) == READERS_PER_ADDRESS
    _read(client, post, address="198.51.100.8")
    _read(client, post, address="2001:db8:1:3::1")  # Another /64.
    assert _total(post) == READERS_PER_ADDRESS + 2
