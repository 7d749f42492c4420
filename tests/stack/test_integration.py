"""The real thing: gunicorn, a `manage.py run_huey` consumer and an SMTP server on
loopback. A signup's mail travels request -> commit -> queue file -> consumer ->
SMTP, and its link verifies the account."""

import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import date, timedelta

import pytest

from harness.live import Client, text_of, wait_for
from harness.postgres import database_fresh

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_signup_mail_goes_out_through_the_consumer_and_verifies(live_site, smtp):
    client = Client(live_site.url)
    smtp.inbox.open.clear()  # The SMTP server holds every message until we let it go.
    status, headers, _ = client.post_form(
        "/accounts/signup/",
        {"email": "Reader@Example.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
    )
    # The request has answered while the mail is still stuck at the SMTP
    # server: sending costs the request nothing.
    assert status == 302 and headers["Location"] == "/accounts/signup/done/"
    assert smtp.inbox.to("reader@example.org") == []
    assert live_site.db("select is_verified from users_user where email = 'reader@example.org'") == [(0,)]
    smtp.inbox.open.set()

    [message] = wait_for(lambda: smtp.inbox.to("reader@example.org"), 15, message="the verification mail")
    link = re.search(r"http://\S+/accounts/verify/\S+/", text_of(message))[0]
    assert link.startswith(live_site.url)
    assert message.get_body(preferencelist=("html",)) is not None

    # The link asks for the account's password first, then verifies.
    status, headers, _ = client.get(link)
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
    assert live_site.db("select is_verified from users_user where email = 'reader@example.org'") == [(0,)]
    status, headers, _ = client.post_form(
        headers["Location"], {"username": "reader@example.org", "password": "pw-long-enough-1"}
    )
    assert status == 302
    status, _, page = client.get(headers["Location"])
    assert status == 200 and "verified" in page
    assert live_site.db("select is_verified from users_user where email = 'reader@example.org'") == [(1,)]
    assert live_site.db("select count(*) from users_emailverification where sent_at is not null") == [(1,)]
    assert "delivery_send_task" in live_site.log("consumer")
    assert "sent on attempt 1" in live_site.log("consumer")
    # The consumer's heartbeat row names it, whichever machine reads it.
    assert live_site.db("select pid from site_consumer") == [(live_site.processes["consumer"].pid,)]
    if live_site.engine != "sqlite":
        return
    # Both files run in WAL mode (persistent in the file once set).
    for name in ("db.sqlite3", "huey.sqlite3"):
        with sqlite3.connect(live_site.data_dir / name) as conn:
            assert conn.execute("pragma journal_mode").fetchone()[0] == "wal", name


def test_daily_report_once_per_author_with_right_counts(live_site, smtp):
    live_site.manage("seed_demo")
    client = Client(live_site.url)
    slug = live_site.db("select slug from blog_post order by id limit 1")[0][0]
    today_views = live_site.db(
        "select d.views from blog_dailyviews d join blog_post p on p.id = d.post_id where p.slug = ? and d.day = ?",
        (slug, date.today().isoformat()),
    )
    for _ in range(3):
        status, _, page = client.get(f"/posts/{slug}/")
        assert status == 200
    # Today is not over: sending its report by hand is refused and owes nothing.
    refused = live_site.manage("send_view_reports", "--date", date.today().isoformat(), check=False)
    assert refused.returncode != 0 and "is not over yet" in refused.stderr
    assert live_site.db("select count(*) from blog_report") == [(0,)]
    yesterday = date.today() - timedelta(days=1)
    first = live_site.manage("send_view_reports", "--date", yesterday.isoformat()).stdout
    second = live_site.manage("send_view_reports", "--date", yesterday.isoformat()).stdout
    assert "Queued 3 report(s)" in first
    authors = [email for (email,) in live_site.db("select email from users_user order by email")]

    day_label = f"{yesterday.day} {yesterday:%b %Y}"

    def reports_for_the_day():
        return [m for m in smtp.inbox.messages if day_label in str(m["Subject"]) and "report" in str(m["Subject"])]

    wait_for(lambda: len(reports_for_the_day()) >= 3, 20, message=f"3 reports; second run said {second!r}")
    # Give a duplicate time to show up: the consumer polls every second.
    time.sleep(3)
    reports = reports_for_the_day()
    assert sorted(str(m["To"]) for m in reports) == authors
    # The total includes the read just counted through gunicorn.
    title, total, day_views = live_site.db(
        "select p.title, p.view_count, d.views from blog_post p join blog_dailyviews d on d.post_id = p.id "
        "where p.slug = ? and d.day = ?",
        (slug, yesterday.isoformat()),
    )[0]
    assert live_site.db(
        "select d.views from blog_dailyviews d join blog_post p on p.id = d.post_id where p.slug = ? and d.day = ?",
        (slug, date.today().isoformat()),
    ) == [(today_views[0][0] + 1 if today_views else 1,)]  # One visitor, three looks: one read.
    owner = live_site.db(
        "select u.email from blog_post p join users_user u on u.id = p.author_id where p.slug = ?", (slug,)
    )[0][0]
    [mine] = [m for m in reports if str(m["To"]) == owner]
    assert f"{title}: {day_views} that day, {total} in all" in text_of(mine)
    assert live_site.db(
        "select count(*) from blog_report where day = ? and sent_at is not null", (yesterday.isoformat(),)
    ) == [(3,)]


def _backup_under_reads(site, dest):
    """Seed the site and back it up while new visitors keep reading a post; (command output, the post's slug)."""
    site.manage("seed_demo")
    slug = site.db("select slug from blog_post order by id limit 1")[0][0]
    stop = threading.Event()

    def keep_reading():
        # A stream of new visitors, each read counted, while the backup runs.
        n = 0
        while not stop.is_set():
            n += 1
            Client(site.url, headers={"X-Forwarded-For": f"10.1.{n // 250}.{n % 250}"}).get(f"/posts/{slug}/")

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        time.sleep(0.5)
        out = site.manage("backup", str(dest)).stdout
    finally:
        stop.set()
        reader.join()
    return out, slug


def _read_once_more(site, slug, views_at_backup):
    status, _, _ = Client(site.url, headers={"X-Forwarded-For": "10.2.0.1"}).get(f"/posts/{slug}/")
    assert status == 200
    assert site.db("select view_count from blog_post where slug = ?", (slug,)) == [(views_at_backup + 1,)]
    assert site.manage("migrate", "--check").returncode == 0


@pytest.mark.sqlite_only
def test_backup_while_running_and_restore(make_live_site, tmp_path):
    site = make_live_site(DJANGO_BEHIND_PROXY="1")
    out, slug = _backup_under_reads(site, tmp_path / "backup")
    assert "db.sqlite3:" in out and "huey.sqlite3:" in out and "integrity ok" in out
    for name in ("db.sqlite3", "huey.sqlite3"):  # Restore as the README says: gunzip each copy.
        (tmp_path / name).write_bytes(gzip.decompress((tmp_path / "backup" / f"{name}.gz").read_bytes()))
    copy = sqlite3.connect(tmp_path / "db.sqlite3")
    [(views_at_backup,)] = copy.execute("select view_count from blog_post where slug = ?", (slug,)).fetchall()
    copy.close()
    assert views_at_backup > 0
    # A change after the backup, its page kept by the page cache...
    site.shell(
        "from blog.models import Post; from blog.services import post_update; "
        f"p = Post.objects.get(slug='{slug}'); post_update(by=p.author, post=p, title='After the backup', content='x')"
    )
    looker = Client(site.url, headers={"User-Agent": "curl/8.0"})  # A script: its looks are not reads.
    assert "After the backup" in looker.get(f"/posts/{slug}/")[2]

    # Restore as the README says: stop, put the two files back, start.
    site.stop_all()
    for name in ("db.sqlite3", "huey.sqlite3"):
        for leftover in site.data_dir.glob(f"{name}-*"):
            leftover.unlink()
        shutil.copy(tmp_path / name, site.data_dir / name)
    site.start_web()
    # ...is not served from the cache once the database it came from is gone.
    assert "After the backup" not in looker.get(f"/posts/{slug}/")[2]
    _read_once_more(site, slug, views_at_backup)


@pytest.mark.postgres_only
def test_pg_dump_backup_while_running_and_restore_into_a_new_database(make_live_site, tmp_path):
    site = make_live_site(DJANGO_BEHIND_PROXY="1")
    out, slug = _backup_under_reads(site, tmp_path / "backup")
    assert "pg_dump wrote" in out and "Backup written" in out
    # Restore as the README says: pg_restore into an empty database, point the site at it.
    restored = database_fresh(os.environ["DATABASE_URL"])
    dump = tmp_path / "backup" / "site.pgdump"
    subprocess.run(["pg_restore", "--no-owner", "--dbname", restored, str(dump)], check=True, capture_output=True)
    site.stop_all()
    site.database_url = site.env["DATABASE_URL"] = restored
    [(views_at_backup,)] = site.db("select view_count from blog_post where slug = ?", (slug,))
    assert views_at_backup > 0
    site.start_web()
    _read_once_more(site, slug, views_at_backup)


def test_an_idle_consumer_is_quiet_and_the_access_log_names_the_client(make_live_site):
    site = make_live_site(DJANGO_BEHIND_PROXY="1", ACCESS_LOG="1")
    Client(site.url, headers={"X-Forwarded-For": "203.0.113.77"}).get("/")
    time.sleep(3)  # The scheduler's first pass has enqueued and run every periodic task.
    consumer = site.log("consumer")
    assert "Huey consumer started" in consumer
    # Only the start-up banner names the periodic tasks; their runs are not logged.
    for line in consumer.splitlines():
        assert not ("Executing" in line or "executed in" in line or "Enqueueing periodic task" in line), line
    assert any(line.startswith("203.0.113.77 ") for line in site.log("web").splitlines())


def test_the_send_limit_holds_in_every_second_across_consumer_threads(make_live_site, smtp):
    limit, count = 10, 40
    site = make_live_site(EMAIL_MAX_PER_SECOND=str(limit))
    site.shell(
        "from users.models import User\n"
        f"for n in range({count}): User.objects.create_user(email=f'p{{n}}@pace.org', password='pw-long-enough-1',"
        " is_verified=True)\n"
        "from users.services import password_reset_request\n"
        f"for n in range({count}): password_reset_request(email=f'p{{n}}@pace.org')"
    )
    wait_for(lambda: len(smtp.inbox.arrivals) >= count, 60, message="every paced mail")
    times = sorted(at for _, at in smtp.inbox.arrivals)
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert busiest <= limit, (busiest, [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)])
    assert busiest >= limit - 2  # The consumer's four threads did keep the pace full.
    assert len({to for to, _ in smtp.inbox.arrivals}) == count  # Delayed, none lost or doubled.
    assert site.db("select count(*) from users_accountmail where attempts != 1") == [(0,)]
