"""
A new post fanned out to 10,000 confirmed subscribers through the real
consumer and the loopback SMTP server: time until every mail is accepted,
mails per second, the consumer's peak memory and queries per mail; once with
no sending limit, once with EMAIL_MAX_PER_SECOND=50 (and the most mails
accepted in any one second), and once with the consumer SIGKILLed half-way
and started again (lost and duplicated mails).

    .venv/bin/python -m bench.fan_out [--subscribers N]
"""

import argparse
import collections
import json
import signal
import threading
import time

from bench.stacks import Stack, memory_kib, process_tree
from harness.live import SmtpServer, wait_for

SETUP = """
from datetime import timedelta
from django.utils import timezone
from blog import services
from blog.models import Subscriber
from users.models import User
author = User.objects.create_user(email="writer@bench.example", password=None, is_verified=True, role="author")
since = timezone.now() - timedelta(days=1)
Subscriber.objects.bulk_create(
    [Subscriber(author=author, email=f"s{{n}}@bench.example", confirmed_at=since) for n in range({count})],
    batch_size=1000,
)
post = services.post_create(author=author, title="A new post", content="Hello, readers. " * 40)
services.post_unpublish(by=author, post=post)
print(post.pk)
"""

# While the fan-out runs: a new account every half second, each owed a
# verification mail; its delay is from the commit to the SMTP server's accept.
PROBE = """
import json, time
from users import services
made = {{}}
end = time.time() + {seconds}
n = 0
while time.time() < end:
    email = f"probe{{n}}@bench.example"
    services.user_create(email=email, password="a-long-enough-passphrase-42")
    made[email] = time.time()
    n += 1
    time.sleep(0.5)
print(json.dumps(made))
"""

PUBLISH = (
    "from blog import services; from blog.models import Post; p = Post.objects.get(pk={pk}); "
    "services.post_publish(by=p.author, post=p)"
)

QUERIES = """
import json
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from blog import newsletter, services
from blog.deliveries import POST_MAIL
from site.outbox import batches, deliveries_send
from blog.models import Post, PostMail, Subscriber
from users.models import User
author = User.objects.create_user(email="queries@bench.example", password=None, is_verified=True, role="author")
Subscriber.objects.bulk_create([Subscriber(author=author, email=f"q{n}@bench.example",
                                           confirmed_at="2000-01-01T00:00:00Z") for n in range(1000)])
post = Post.objects.create(author=author, title="Counted", content="Hi.")
with CaptureQueriesContext(connection) as fan_out:
    ids = [pk for batch in newsletter.post_mails_owe(post_id=post.pk) for pk in batch]
with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
    with CaptureQueriesContext(connection) as sends:
        for batch in batches(ids[:100], POST_MAIL.batch_size):
            deliveries_send(kind=POST_MAIL, ids=batch)
author.delete()  # Its other 900 mails are owed: gone, so the consumer sends only the measured fan-out.
print(json.dumps({"fan_out_per_mail": round(len(fan_out) / len(ids), 3), "send_per_mail": len(sends) / 100}))
"""


def _busiest_second(arrivals):
    """The most mails accepted in any one-second window (sliding, not aligned to clock seconds)."""
    times = sorted(at for _, at in arrivals)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _account_mail_delays(made, arrivals):
    """Seconds from each probe account's commit to its verification mail's acceptance: p50, p99, max."""
    arrived = {address: at for address, at in arrivals if address in made}
    delays = [arrived[address] - at for address, at in made.items() if address in arrived]
    return {
        "account_mails": len(made),
        "account_mails_missing": len(made) - len(delays),
        "account_mail_delay_p50_s": round(_percentile(delays, 0.5), 2),
        "account_mail_delay_p99_s": round(_percentile(delays, 0.99), 2),
        "account_mail_delay_max_s": round(max(delays), 2),
    }


def one_run(folder, static_root, subscribers, kill_at=None, probe_seconds=0, **env):
    with SmtpServer() as smtp:
        stack = Stack("huey", folder, smtp.port, static_root, **env)
        stack.site.migrate()
        queries = json.loads(stack.site.shell(QUERIES).strip().splitlines()[-1]) if kill_at is None else None
        post_id = int(stack.site.shell(SETUP.format(count=subscribers)).strip().splitlines()[-1])
        smtp.inbox.messages.clear()
        smtp.inbox.arrivals.clear()
        stack.site.start_consumer()
        peak, stop = {"rss": 0}, threading.Event()

        def sample():
            while not stop.is_set():
                if (process := stack.site.processes.get("consumer")) is not None:
                    peak["rss"] = max(peak["rss"], sum(memory_kib(p)[0] for p in process_tree(process.pid)))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        killed_after = None
        try:
            started = time.time()
            stack.site.shell(PUBLISH.format(pk=post_id))
            probes = None
            if probe_seconds:
                made = {}
                probes = threading.Thread(
                    target=lambda: made.update(
                        json.loads(stack.site.shell(PROBE.format(seconds=probe_seconds)).strip().splitlines()[-1])
                    )
                )
                probes.start()
            if kill_at is not None:
                wait_for(lambda: len(smtp.inbox.messages) >= kill_at, 600, message="the fan-out to be half-way")
                stack.site.stop("consumer", sig=signal.SIGKILL)
                killed_after = len(smtp.inbox.messages)
                stack.site.start_consumer()
            expected = {f"s{n}@bench.example" for n in range(subscribers)}
            wait_for(
                lambda: len({a for a, _ in smtp.inbox.arrivals if a in expected}) >= subscribers,
                1800,
                interval=0.5,
                message=f"{subscribers} mails",
            )
            seconds = max(at for a, at in smtp.inbox.arrivals if a in expected) - started
            if probes is not None:
                probes.join()
                wait_for(lambda: {a for a, _ in smtp.inbox.arrivals} >= set(made), 60, message="the probe mails")
            time.sleep(3)  # Let any duplicate arrive before counting.
            received = collections.Counter(address for address, _ in smtp.inbox.arrivals if address in expected)
        finally:
            stop.set()
            sampler.join()
            stack.stop()
    result = {
        "subscribers": subscribers,
        "all_mails_seconds": round(seconds, 1),
        "mails_per_s": round(subscribers / seconds, 1),
        "busiest_second": _busiest_second(smtp.inbox.arrivals),
        "lost": len(expected - set(received)),
        "duplicates": sum(n - 1 for n in received.values()),
        "consumer_peak_rss_mib": round(peak["rss"] / 1024, 1),
    }
    if queries:
        result["queries"] = queries
    if probes is not None:
        result.update(_account_mail_delays(made, smtp.inbox.arrivals))
    if killed_after is not None:
        result["delivered_before_kill"] = killed_after
    return result


def run(folder, static_root, subscribers=10_000, only_unlimited=False):
    # Account mail during the fan-out: probes for 20 s from the publish, well within it.
    results = {"unlimited": one_run(folder / "unlimited", static_root, subscribers, probe_seconds=20)}
    print("fan-out, no limit:", results["unlimited"], flush=True)
    if only_unlimited:
        return results
    results["limit_50"] = one_run(folder / "limited", static_root, subscribers, EMAIL_MAX_PER_SECOND="50")
    print("fan-out, 50/s:", results["limit_50"], flush=True)
    results["sigkill"] = one_run(folder / "killed", static_root, subscribers, kill_at=subscribers // 2)
    print("fan-out, SIGKILL:", results["sigkill"], flush=True)
    return results


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    from harness.live import collectstatic

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--only-unlimited", action="store_true", help="the run without a sending limit alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-fan-out-") as tmp:
        static_root = collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), static_root, args.subscribers, args.only_unlimited), indent=2))
