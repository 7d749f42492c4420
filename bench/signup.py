"""
Signup response time with an instant SMTP server vs one that takes 2 s per
message, on the real stack (gunicorn + run_huey + loopback SMTP).

    .venv/bin/python -m bench.signup [--signups 20]

The mail is sent by the consumer, so the two medians should match: password
hashing, not SMTP, is what a signup costs. Also checks that every mail arrives.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.live import Client, LiveSite, SmtpServer, wait_for


def run(delay, signups, static_root):
    with SmtpServer() as smtp, tempfile.TemporaryDirectory() as data:
        smtp.inbox.delay = delay
        site = LiveSite(Path(data), smtp.port, static_root)
        site.manage("migrate", "--no-input", "-v0")
        try:
            site.start_web()
            site.start_consumer()
            timings = []
            for n in range(signups):
                client = Client(site.url)
                _, _, page = client.get("/accounts/signup/")
                token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
                fields = {"csrfmiddlewaretoken": token, "email": f"u{n}@bench.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
                start = time.perf_counter()
                status, _, _ = client.request("/accounts/signup/", fields)
                timings.append(time.perf_counter() - start)
                assert status == 302, status
            wait_for(lambda: len(smtp.inbox.messages) == signups, 60 + signups * delay, message="all mails")
            return timings
        finally:
            site.stop_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signups", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as static_root:
        LiveSite(Path(static_root), 25, static_root).manage("collectstatic", "--no-input", "-v0")
        results = {delay: run(delay, args.signups, static_root) for delay in (0.0, 2.0)}
    print(f"{'SMTP delay':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for delay, timings in results.items():
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{delay:>9.1f}s {statistics.median(timings) * 1000:>8.1f} {p95 * 1000:>8.1f}")
    ratio = statistics.median(results[2.0]) / statistics.median(results[0.0])
    print(f"p50 ratio, 2 s SMTP / instant SMTP: {ratio:.2f}")


if __name__ == "__main__":
    main()
