"""New posts to subscribers on the real stack: gunicorn, a `run_huey` consumer and
a loopback SMTP server. A post fanned out to a few hundred readers arrives once
at each, a consumer SIGKILLed in the middle loses none, and the one-click
unsubscribe works from outside any browser session."""

import re
import signal
import time
import urllib.request

import pytest

from harness.live import text_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

READERS = 300


def _publish_to_readers(site, count, title="Fan-out"):
    site.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from blog import services\n"
        "from blog.models import Subscriber\n"
        "from users.models import User\n"
        "a = User.objects.create_user(email='writer@x.org', password=None, is_verified=True, role='author')\n"
        "since = timezone.now() - timedelta(days=1)\n"
        f"Subscriber.objects.bulk_create([Subscriber(author=a, email=f's{{n}}@fan.org', confirmed_at=since)"
        f" for n in range({count})])\n"
        f"services.post_create(author=a, title={title!r}, content='Hello, readers.', publish=True)\n"
    )
    return {f"s{n}@fan.org" for n in range(count)}


def test_a_new_post_reaches_each_subscriber_once_and_leaves_in_one_click(live_site, smtp):
    expected = _publish_to_readers(live_site, READERS)
    wait_for(lambda: expected <= set(smtp.inbox.addresses()), 120, message="every subscriber's mail")
    time.sleep(2)  # Let any duplicate arrive before counting.
    received = smtp.inbox.addresses()
    assert set(received) == expected and max(received.values()) == 1
    assert live_site.db("select count(*) from blog_postmail where sent_at is not null") == [(READERS,)]
    [message] = smtp.inbox.to("s7@fan.org")
    assert message["Subject"] == "Fan-out" and "Hello, readers." in text_of(message)
    assert (
        message["Message-ID"]
        == live_site.db(
            "select m.message_id from blog_postmail m join blog_subscriber s on s.id = m.subscriber_id "
            "where s.email = 's7@fan.org'"
        )[0][0]
    )

    # The provider's one-click POST: no cookie, no CSRF token, no redirect.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"].strip())[1]
    assert url.startswith(live_site.url)
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.url == url and "Set-Cookie" not in response.headers
    assert live_site.db("select unsubscribed_at is not null from blog_subscriber where email = 's7@fan.org'") == [(1,)]


def test_consumer_killed_mid_fan_out_loses_no_mail(make_live_site, smtp):
    site = make_live_site()
    smtp.inbox.delay = 0.01  # A server that takes a moment, so the kill lands mid-way.
    expected = _publish_to_readers(site, READERS)
    wait_for(lambda: len(smtp.inbox.messages) >= 40, 60, message="the fan-out to be under way")
    site.stop("consumer", sig=signal.SIGKILL)
    delivered_before_kill = len(smtp.inbox.messages)
    site.start_consumer()
    # Within a minute of the restart: the killed process's claims are freed at the next reconciler run.
    wait_for(lambda: expected <= set(smtp.inbox.addresses()), 90, message="every subscriber's mail after restart")
    time.sleep(2)
    received = smtp.inbox.addresses()
    lost = len(expected - set(received))
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"\nSIGKILL mid-fan-out: {READERS} owed, {delivered_before_kill} before the kill, lost={lost}, dup={duplicates}"
    )
    assert delivered_before_kill < READERS and lost == 0
    assert duplicates <= 4  # Only mail in SMTP at the kill can go twice: one per worker thread at most.
    assert site.db("select count(*) from blog_postmail where sent_at is null") == [(0,)]
