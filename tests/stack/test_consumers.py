"""
Several consumers on one PostgreSQL database, as on several machines: one is
SIGKILLed on "another machine" (its own hostname, PID namespace and /proc)
while it holds claims, one runs in a container's PID namespace on this
host's name, one is SIGKILLed beside a live one on this host, and every one
of them runs the scheduler. Nothing is lost, nothing but the killed
consumers' claims in flight can go twice, and no periodic run happens twice
or stops when the consumer that ran it dies.
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
# consumer-d shares consumer-a's process table, as two services on one box do.
FLEET = {**CONSUMERS, "consumer-d": {}}


def _start_consumers(site, consumers=CONSUMERS):
    for name, how in consumers.items():
        site.start_consumer(name, **how)
    rows = [(len(consumers),)]
    wait_for(lambda: site.db("select count(*) from site_consumer") == rows, 30, message="a heartbeat row each")


# Every server session on the site's database but the one asking.
SESSIONS = "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"


def test_consumers_killed_on_another_machine_and_beside_a_live_one_lose_nothing_and_their_claims_move(
    make_live_site, smtp
):
    site = make_live_site(consumer=False)
    [(web_only,)] = site.db(SESSIONS)
    _start_consumers(site, FLEET)
    [(box_c,)] = site.db("select id from site_consumer where host = 'box-c'")
    [(beside,)] = site.db("select id from site_consumer where pid = ?", (site.processes["consumer-d"].pid,))
    smtp.inbox.delay = 0.5  # Sixteen worker threads in all: a batch that takes seconds.
    count = 200
    site.shell(
        "from users.services import user_create\n"
        f"for n in range({count}): user_create(email=f'm{{n}}@many.org', password=None)"
    )
    holding = "select claimed_by, count(*) from users_emailverification where sent_at is null group by claimed_by"

    def every_worker_sending():
        held = {owner: n for owner, n in site.db(holding) if owner}
        return len(held) == len(FLEET) and set(held.values()) == {4}

    wait_for(every_worker_sending, 30, interval=0.01, message="all four workers of every consumer to be sending")
    [(busy,)] = site.db(SESSIONS)
    per_consumer = (busy - web_only) / len(FLEET)
    site.stop("consumer-c", sig=signal.SIGKILL)
    site.stop("consumer-d", sig=signal.SIGKILL)
    killed_at = time.monotonic()
    held = "select count(*) from users_emailverification where claimed_by = ? and sent_at is null"
    in_flight = {owner: site.db(held, (owner,))[0][0] for owner in (box_c, beside)}
    # consumer-a sees consumer-d's process gone at its next beat; the next reconciler run, wherever, frees its claims.
    wait_for(lambda: site.db(held, (beside,)) == [(0,)], 80, message="consumer-d's claims to be freed")
    beside_freed_after = time.monotonic() - killed_at
    # Nobody can see box-c's process: its claims wait for a quiet minute, then the next reconciler run.
    wait_for(lambda: site.db(held, (box_c,)) == [(0,)], 150, message="box-c's claims to be freed")
    box_c_freed_after = time.monotonic() - killed_at
    expected = {f"m{n}@many.org" for n in range(count)}
    wait_for(
        lambda: expected <= set(smtp.inbox.addresses()), 60, message="every mail, the killed ones' claims included"
    )
    time.sleep(2)  # Let any duplicate arrive before counting.
    received = smtp.inbox.addresses()
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"\nfour consumers, box-c and consumer-d SIGKILLed holding {in_flight[box_c]} and {in_flight[beside]} claims: "
        f"lost={len(expected - set(received))}, duplicates={duplicates}; claims freed after "
        f"{beside_freed_after:.0f} s (beside a live consumer) and {box_c_freed_after:.0f} s (another machine); "
        f"{per_consumer:.1f} database sessions per consumer with every worker sending"
    )
    assert set(received) == expected
    # Only mail the killed consumers had handed to SMTP when they died can go
    # twice; the live consumers' claims (one in another PID namespace) are never freed.
    assert duplicates <= in_flight[box_c] + in_flight[beside]
    # The README sizes max_connections with 15 a consumer (HUEY_WORKERS = 4).
    assert per_consumer <= 15
    assert beside_freed_after < 75  # A beat (5 s), then the next reconciler run (a minute at most), and slack.
    assert box_c_freed_after < 130  # Quiet for a minute, then the next reconciler run: two minutes and a beat.
    assert site.db("select count(*) from users_emailverification where sent_at is null") == [(0,)]
    # The admin's view: consumer-d marked ended, box-c gone quiet, a and b beat on.
    assert site.db("select id from site_consumer where ended_at is not null") == [(beside,)]
    assert site.db(
        "select host from site_consumer where seen_at < now() - interval '1 minute' and ended_at is null"
    ) == [("box-c",)]
    running = "select count(*) from site_consumer where seen_at >= now() - interval '1 minute' and ended_at is null"
    assert site.db(running) == [(2,)]
    # A container stopped as its runtime stops it (SIGTERM to its PID 1) finishes and takes its row along.
    site.stop("consumer-b")
    assert site.db(running) == [(1,)]


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
