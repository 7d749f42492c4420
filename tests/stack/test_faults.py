"""Fault tests on the real stack: a consumer killed mid-batch, SMTP down or
refusing, the consumer down across REPORT_TIME, concurrent views on gunicorn,
signups racing on one address. Each states what it proves in its assertions."""

import collections
import re
import signal
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from harness.live import Client, text_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_consumer_killed_mid_batch_loses_no_mail(make_live_site, smtp):
    site = make_live_site()
    smtp.inbox.delay = 0.25  # A batch that takes a few seconds to drain.
    count = 40
    site.shell(
        "from users.services import user_create\n"
        f"for n in range({count}): user_create(email=f'u{{n}}@batch.org', password=None)"
    )
    wait_for(lambda: len(smtp.inbox.messages) >= 5, 30, message="the batch to start arriving")
    site.stop("consumer", sig=signal.SIGKILL)
    delivered_before_kill = len(smtp.inbox.messages)
    site.start_consumer()
    expected = {f"u{n}@batch.org" for n in range(count)}
    # The killed consumer's process has ended on this machine: its claims are
    # free at the next reconciler run, within a minute (plus the sending).
    wait_for(lambda: expected <= set(smtp.inbox.addresses()), 90, message="every account's mail after restart")
    time.sleep(2)  # Let any duplicate arrive before counting.
    received = smtp.inbox.addresses()
    lost = len(expected - set(received))
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"\nSIGKILL mid-batch: {count} owed, {delivered_before_kill} delivered before the kill, "
        f"lost={lost}, duplicates={duplicates}"
    )
    assert lost == 0
    # Only mail already handed to SMTP when the process died can go twice:
    # at most one per worker thread.
    assert duplicates <= 4
    assert site.db("select count(*) from users_emailverification where sent_at is null") == [(0,)]


def test_smtp_down_at_signup_then_back(make_live_site, smtp):
    site = make_live_site()
    smtp.down()
    site.shell("from users.services import user_create; user_create(email='late@x.org', password=None)")
    wait_for(
        lambda: site.db("select attempts, last_error from users_emailverification where last_error != ''"),
        20,
        message="a failed attempt to be recorded",
    )
    [(attempts, error)] = site.db("select attempts, last_error from users_emailverification")
    assert "Connection" in error or "refused" in error.lower()
    smtp.up()
    wait_for(lambda: smtp.inbox.to("late@x.org"), 30, message="the retried mail")
    # The consumer records the outcome just after the server accepted the mail.
    sent = "select sent_at, last_error, failed_at from users_emailverification where sent_at is not null"
    [(sent_at, last_error, failed_at)] = wait_for(lambda: site.db(sent), 10, message="the send to be recorded")
    assert sent_at and not last_error and failed_at is None


def test_permanent_rejection_is_marked_and_not_retried(make_live_site, smtp):
    site = make_live_site()
    smtp.inbox.reply = "550 5.1.1 no such mailbox"
    site.shell("from users.services import user_create; user_create(email='gone@x.org', password=None)")
    wait_for(
        lambda: site.db("select 1 from users_emailverification where failed_at is not null"), 20, message="failure mark"
    )
    time.sleep(3)  # A retry would be due within this time if it were scheduled... and the reconciler runs at start.
    [(attempts, error)] = site.db("select attempts, last_error from users_emailverification")
    assert attempts == 1 and "550" in error
    assert smtp.inbox.attempts == 1 and smtp.inbox.messages == []


def test_consumer_down_across_report_time_sends_once_on_return(make_live_site, smtp):
    zone = "Europe/Berlin"
    passed = datetime.now(ZoneInfo(zone)) - timedelta(minutes=2)
    site = make_live_site(consumer=False, REPORT_TIME=f"{passed:%H:%M}", TIME_ZONE=zone)
    site.manage("seed_demo")
    # The consumer was down when REPORT_TIME passed; it starts now.
    site.start_consumer()
    reports = lambda: [m for m in smtp.inbox.messages if "report" in str(m["Subject"]).lower()]  # noqa: E731
    wait_for(lambda: len(reports()) >= 3, 30, message="the missed reports")
    site.stop("consumer")
    site.start_consumer()  # A restart must not send them again.
    time.sleep(4)
    assert sorted(str(m["To"]) for m in reports()) == ["ada@example.com", "grace@example.com", "linus@example.com"]
    assert site.db("select count(distinct day), count(*) from blog_report where sent_at is not null") == [(1, 3)]


def test_concurrent_reads_on_gunicorn_count_each_visitor_exactly_once(make_live_site):
    site = make_live_site(consumer=False, WEB_CONCURRENCY="4", DJANGO_BEHIND_PROXY="1")
    site.manage("seed_demo")
    slug = site.db("select slug from blog_post order by id limit 1")[0][0]
    [(before,)] = site.db("select view_count from blog_post where slug = ?", (slug,))
    threads, per_thread = 8, 40
    statuses = collections.Counter()
    lock = threading.Lock()

    def readers(thread):
        # Distinct visitors: each request from its own address, as the proxy reports it.
        for n in range(per_thread):
            client = Client(site.url, headers={"X-Forwarded-For": f"10.0.{thread}.{n}"})
            status, _, _ = client.get(f"/posts/{slug}/")
            with lock:
                statuses[status] += 1

    def all_at_once():
        workers = [threading.Thread(target=readers, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return site.db("select view_count from blog_post where slug = ?", (slug,))[0][0]

    after = all_at_once()
    assert statuses == {200: threads * per_thread}
    assert after - before == threads * per_thread
    # The same visitors again, the same day, in parallel: not one more read.
    assert all_at_once() == after
    assert statuses == {200: 2 * threads * per_thread}
    assert "database is locked" not in site.log("web")


def test_concurrent_signups_with_one_address_make_one_account_and_one_mail(make_live_site, smtp):
    site = make_live_site()
    clients = [Client(site.url) for _ in range(6)]
    tokens = [client.csrf_token("/accounts/signup/") for client in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def signup(client, token):
        start.wait()
        status, _, _ = client.request(
            "/accounts/signup/",
            {
                "csrfmiddlewaretoken": token,
                "email": "Same@X.org",
                "password1": "pw-long-enough-1",
                "password2": "pw-long-enough-1",
            },
        )
        statuses.append(status)

    threads = [threading.Thread(target=signup, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(status in (302, 429) for status in statuses), statuses
    assert site.db("select count(*) from users_user where lower(email) = 'same@x.org'") == [(1,)]
    wait_for(lambda: smtp.inbox.to("same@x.org"), 20, message="the verification mail")
    time.sleep(3)
    assert len(smtp.inbox.to("same@x.org")) == 1


def test_lost_queue_file_heals_at_consumer_start(make_live_site, smtp):
    site = make_live_site(consumer=False)
    site.shell(
        "from users.services import user_create\nfor n in range(5): user_create(email=f'q{n}@x.org', password=None)"
    )
    # The queue holds the five sends; lose it, as a restore of an old backup would.
    if site.engine == "sqlite":
        files = list(site.data_dir.glob("huey.sqlite3*"))
        assert files
        for path in files:
            path.unlink()
    else:
        assert site.db("select count(*) from huey_task") == [(5,)]
        site.db("delete from huey_task")
    site.start_consumer()
    expected = {f"q{n}@x.org" for n in range(5)}
    wait_for(lambda: expected <= set(smtp.inbox.addresses()), 30, message="the mails the queue lost")
    assert sum(smtp.inbox.addresses().values()) == 5


def test_graceful_stop_lets_mail_in_flight_finish(make_live_site, smtp):
    site = make_live_site()
    smtp.inbox.delay = 2.0
    site.shell("from users.services import user_create; user_create(email='inflight@x.org', password=None)")
    wait_for(lambda: smtp.inbox.attempts == 1, 20, message="the SMTP conversation to start")
    site.stop("consumer", sig=signal.SIGTERM)  # What systemctl stop sends.
    assert smtp.inbox.to("inflight@x.org")
    assert site.db("select sent_at is not null from users_emailverification") == [(1,)]
    assert "Shutting down gracefully" in site.log("consumer")


def test_signup_limit_holds_across_gunicorn_workers(make_live_site):
    from users.throttles import SIGNUP_PER_IP

    site = make_live_site(consumer=False, WEB_CONCURRENCY="4")
    statuses = []
    for n in range(SIGNUP_PER_IP.limit + 2):
        # A new connection each time, so requests spread over the workers.
        status, _, _ = Client(site.url).post_form(
            "/accounts/signup/",
            {"email": f"w{n}@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
        )
        statuses.append(status)
    assert statuses == [302] * SIGNUP_PER_IP.limit + [429, 429]
    assert site.db("select count(*) from users_user") == [(SIGNUP_PER_IP.limit,)]
    pids = set(re.findall(r"\[(\d+)\] \[INFO\] Booting worker", site.log("web")))
    assert len(pids) == 4


def test_sigkill_storm_during_password_reset_mails_loses_none(make_live_site, smtp):
    site = make_live_site()
    count = 30
    site.shell(
        "from users.models import User\n"
        f"for n in range({count}): User.objects.create_user(email=f'r{{n}}@reset.org', password='pw-long-enough-1',"
        " is_verified=True)"
    )
    smtp.inbox.delay = 0.2  # Sends that take a while, so kills land mid-send.
    site.shell(
        "from users.services import password_reset_request\n"
        f"for n in range({count}): password_reset_request(email=f'r{{n}}@reset.org')"
    )
    for _ in range(3):
        wait_for(lambda: len(smtp.inbox.messages) >= 1, 30, message="sends to be under way")
        site.stop("consumer", sig=signal.SIGKILL)
        site.start_consumer()
        time.sleep(1)
    expected = {f"r{n}@reset.org" for n in range(count)}
    wait_for(lambda: expected <= set(smtp.inbox.addresses()), 90, message="every reset mail after the kills")
    # A mail accepted by SMTP just before a kill stays unrecorded until its
    # dead claim is freed (the next reconciler run: its process has ended on
    # this machine) and it is sent again.
    unsent = "select count(*) from users_accountmail where sent_at is null"
    wait_for(lambda: site.db(unsent) == [(0,)], 90, message="every reset mail recorded as sent")
    assert all("/accounts/password/reset/" in text_of(m) for m in smtp.inbox.messages)
