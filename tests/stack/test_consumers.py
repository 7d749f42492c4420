"""
Several consumers on one PostgreSQL database, as on several machines: one is
SIGKILLed on "another machine" (its own hostname and PID namespace) while it
holds claims, one runs in a container's PID namespace on this host's name,
and every one of them runs the scheduler. Nothing is lost, nothing but the
killed consumer's claims in flight can go twice, and no periodic run happens
twice or stops when the consumer that ran it dies.
"""

import collections
import re
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from harness.live import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres_only]

CONSUMERS = {
    "consumer-a": {},
    "consumer-b": {"own_pids": True},  # A container beside it: same hostname, its own pids.
    "consumer-c": {"hostname": "box-c", "own_pids": True},  # Another machine.
}


def _start_consumers(site):
    for name, how in CONSUMERS.items():
        site.start_consumer(name, **how)
    wait_for(lambda: site.db("select count(*) from site_consumer") == [(3,)], 30, message="three heartbeat rows")


# Every server session on the site's database but the one asking.
SESSIONS = "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"


def _addresses(inbox):
    return collections.Counter(str(m["To"]) for m in inbox.messages)


def test_a_consumer_killed_on_another_machine_loses_nothing_and_its_claims_move_within_two_minutes(
    make_live_site, smtp
):
    site = make_live_site(consumer=False)
    [(web_only,)] = site.db(SESSIONS)
    _start_consumers(site)
    [(box_c,)] = site.db("select id from site_consumer where host = 'box-c'")
    smtp.inbox.delay = 0.5  # Twelve worker threads in all: a batch that takes seconds.
    count = 120
    site.shell(
        "from users.services import user_create\n"
        f"for n in range({count}): user_create(email=f'm{{n}}@many.org', password=None)"
    )
    held = "select count(*) from users_emailverification where claimed_by = ? and sent_at is null"
    wait_for(lambda: site.db(held, (box_c,))[0][0] >= 2, 30, interval=0.01, message="box-c to hold claims")
    # Every worker thread of all three is busy sending: each consumer holds all it ever will.
    [(busy,)] = site.db(SESSIONS)
    per_consumer = (busy - web_only) / len(CONSUMERS)
    site.stop("consumer-c", sig=signal.SIGKILL)
    killed_at = time.monotonic()
    [(in_flight,)] = site.db(held, (box_c,))
    expected = {f"m{n}@many.org" for n in range(count)}
    wait_for(lambda: expected <= set(_addresses(smtp.inbox)), 150, message="every mail, box-c's claims included")
    taken_over_after = time.monotonic() - killed_at
    time.sleep(2)  # Let any duplicate arrive before counting.
    received = _addresses(smtp.inbox)
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"\nthree consumers, box-c SIGKILLed holding {in_flight} claims: lost={len(expected - set(received))}, "
        f"duplicates={duplicates}, its claims taken over after {taken_over_after:.0f} s; "
        f"{per_consumer:.1f} database sessions per busy consumer"
    )
    assert set(received) == expected
    # Only mail box-c had handed to SMTP when it died can go twice; the live
    # consumers' claims (one of them in another PID namespace) are never freed.
    assert duplicates <= in_flight
    # The README sizes max_connections with 15 a consumer (HUEY_WORKERS = 4).
    assert per_consumer <= 15
    assert taken_over_after < 130  # Quiet for a minute, then the next reconciler run: two minutes and a beat.
    assert site.db("select count(*) from users_emailverification where sent_at is null") == [(0,)]
    # The admin's view: box-c has gone quiet, the other two beat on.
    quiet = "select host from site_consumer where seen_at < now() - interval '1 minute'"
    assert site.db(quiet) == [("box-c",)]
    assert site.db("select count(*) from site_consumer where seen_at >= now() - interval '1 minute'") == [(2,)]
    # A container stopped as its runtime stops it (SIGTERM to its PID 1) finishes and takes its row along.
    site.stop("consumer-b")
    assert site.db("select count(*) from site_consumer where seen_at >= now() - interval '1 minute'") == [(1,)]


LOG_LINE = re.compile(r"^(\S+ \d\d:\d\d):\d\d,\d+ DEBUG huey[\w.]*: Enqueueing periodic task (\S+):", re.M)


def _periodic_runs(site):
    """
    (consumer, minute, task) for every periodic run queued through the shared
    schedule, from each consumer's log: every pass but the start-up one, which
    runs all due tasks on purpose (a restarted consumer reconciles at once).
    """
    return [
        (name, minute, task)
        for name in CONSUMERS
        for scheduled in site.log(name).split("Checking periodic tasks")[2:]
        for minute, task in LOG_LINE.findall(scheduled)
    ]


def test_every_consumer_runs_the_schedule_each_run_happens_once_and_a_kill_does_not_stop_it(make_live_site, smtp):
    now = datetime.now(UTC)
    # Yesterday's reports are due at the start of the minute after next: after the kill below.
    report_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    site = make_live_site(consumer=False, REPORT_TIME=f"{report_at:%H:%M}", TIME_ZONE="UTC", LOG_LEVEL="DEBUG")
    site.manage("seed_demo")
    _start_consumers(site)
    wait_for(lambda: _periodic_runs(site), 75, message="the first periodic runs after start-up")
    minute, first = max((minute, consumer) for consumer, minute, _ in _periodic_runs(site))
    site.stop(first, sig=signal.SIGKILL)  # The one that won the scheduler's latest minute.
    survivors = set(CONSUMERS) - {first}

    def after_the_kill():
        return [run for run in _periodic_runs(site) if run[0] in survivors and run[1] > minute]

    wait_for(after_the_kill, 75, message="another consumer to run the schedule after the kill")
    yesterday = (report_at - timedelta(days=1)).date()
    reports = "select count(*) from blog_report where day = ? and sent_at is not null"
    wait_for(lambda: site.db(reports, (yesterday,))[0][0] >= 3, 150, message="yesterday's reports after the kill")
    time.sleep(3)
    runs = _periodic_runs(site)
    twice = [run for run, n in collections.Counter((m, t) for _, m, t in runs).items() if n > 1]
    print(f"\n{len(runs)} periodic runs queued by {len({c for c, _, _ in runs})} consumers; {first} killed")
    assert twice == []
    assert len({consumer for consumer, _, _ in runs}) >= 2  # The schedule moved to a survivor.
    report_mails = [str(m["To"]) for m in smtp.inbox.messages if "report" in str(m["Subject"]).lower()]
    # One mail per report row (an author and a day, unique in the database): none went twice.
    assert site.db("select count(*) from blog_report where sent_at is not null") == [(len(report_mails),)]
    assert site.db(reports, (yesterday,)) == [(3,)]
