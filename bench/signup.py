"""
Signup response time per stack and SMTP speed, and signup-to-inbox latency
idle and under a burst. Each simulated client comes from its own address.
"""

import random
import statistics
import threading
import time

from harness.live import Client, SmtpServer, wait_for

PASSWORD = "pw-long-enough-1"


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(samples), "p50_ms": round(statistics.median(samples) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


class Signups:
    """Signs up fresh addresses against one stack; remembers when each was submitted."""

    def __init__(self, stack, prefix):
        self.stack, self.prefix = stack, prefix
        self.submitted = {}
        self._n = 0
        self._lock = threading.Lock()

    def one(self):
        with self._lock:
            self._n += 1
            n = self._n
        email = f"{self.prefix}{n}@bench.example"
        client = Client(
            self.stack.url, headers={"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        )
        token = client.csrf_token("/accounts/signup/")
        fields = {"csrfmiddlewaretoken": token, "email": email, "password1": PASSWORD, "password2": PASSWORD}
        start_wall, start = time.time(), time.perf_counter()
        status, _, _ = client.request("/accounts/signup/", fields)
        took = time.perf_counter() - start
        if status != 302:
            raise RuntimeError(f"signup answered {status}")
        self.submitted[email] = start_wall
        return took


def response_times(make_stack, smtp_delay, count, warmup=3):
    """Sequential signups against a fresh stack whose SMTP server takes `smtp_delay` s per message."""
    with SmtpServer() as smtp:
        smtp.inbox.delay = smtp_delay
        with make_stack(smtp) as stack:
            signups = Signups(stack, "r")
            for _ in range(warmup):
                signups.one()
            timings = [signups.one() for _ in range(count)]
            sends = stack.kind not in ("nomail",)
            if sends:
                total = warmup + count
                wait_for(
                    lambda: len(smtp.inbox.messages) >= total, 60 + total * (smtp_delay + 0.5), message="every mail"
                )
    return summary(timings)


def inbox_latency(make_stack, idle_count, burst_count, burst_clients=8):
    """Submit-to-accepted-by-SMTP latency: spaced signups on an idle stack, then a burst."""
    result = {}
    with SmtpServer() as smtp:
        with make_stack(smtp) as stack:
            idle = Signups(stack, "idle")
            rng = random.Random(7)
            for _ in range(idle_count):
                idle.one()
                time.sleep(rng.uniform(0.8, 1.6))  # Let the consumer go idle between signups.
            wait_for(lambda: len(smtp.inbox.messages) >= idle_count, 60, message="idle mails")
            result["idle"] = summary(_latencies(smtp, idle.submitted))
            if not burst_count:
                return result

            burst = Signups(stack, "burst")
            per_client = burst_count // burst_clients
            threads = [
                threading.Thread(target=lambda: [burst.one() for _ in range(per_client)]) for _ in range(burst_clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wait_for(
                lambda: len(smtp.inbox.messages) >= idle_count + per_client * burst_clients, 300, message="burst mails"
            )
            result["burst"] = summary(_latencies(smtp, burst.submitted))
            result["burst"]["signups_per_s"] = round(per_client * burst_clients / (time.perf_counter() - started), 1)
    return result


def _latencies(smtp, submitted):
    arrived = {}
    for address, at in smtp.inbox.arrivals:
        arrived.setdefault(address, at)
    return [arrived[email] - at for email, at in submitted.items()]
