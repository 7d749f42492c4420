"""Post page throughput at 8 concurrent clients (wrk) with view counting on and off."""

import re
import statistics
import subprocess
import threading
import time

from bench.stacks import Stack
from harness.live import Client, SmtpServer, wait_for

ROUNDS = 3
SECONDS = 10


def _wrk(url):
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p50[2]]
    return {
        "requests": requests,
        "per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50_ms": round(float(p50[1]) * scale, 2),
        "non_2xx": int(bad[1]) if bad else 0,
        "socket_errors": errors[1] if errors else "",
    }


def _exact(stack, slug, clients=8, each=100):
    """A fixed number of requests (wrk runs for a duration and drops replies in flight at the end)."""

    def settled():
        # Requests wrk left in flight are still being served: wait until the counter stops moving.
        first = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
        time.sleep(1)
        return first == stack.site.db("select view_count from blog_post where slug = ?", (slug,))

    wait_for(settled, 30, message="the counter to settle")
    [(before,)] = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
    statuses = []

    def reader():
        client = Client(stack.url)
        statuses.extend(client.get(f"/posts/{slug}/")[0] for _ in range(each))

    threads = [threading.Thread(target=reader) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [(after,)] = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
    return {"exact_requests": len(statuses), "exact_ok": statuses.count(200), "exact_counted": after - before}


def run(folder, static_root):
    samples = {"counting": [], "not_counting": []}
    checks = []
    with SmtpServer() as smtp:
        for n in range(ROUNDS):
            for counting in (True, False):
                with Stack("nomail", folder / f"r{n}-{counting}", smtp.port, static_root, counting=counting) as stack:
                    stack.site.manage("seed_demo", "-v0")
                    slug, before = stack.site.db("select slug, view_count from blog_post order by id limit 1")[0]
                    result = _wrk(f"{stack.url}/posts/{slug}/")
                    [(after,)] = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
                    samples["counting" if counting else "not_counting"].append(result)
                    if counting:
                        checks.append(
                            {"wrk_completed": result["requests"], "counted": after - before, **_exact(stack, slug)}
                        )
    on = statistics.median(s["per_s"] for s in samples["counting"])
    off = statistics.median(s["per_s"] for s in samples["not_counting"])
    return {
        "clients": 8,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "counting_per_s": on,
        "not_counting_per_s": off,
        "counting_p50_ms": statistics.median(s["p50_ms"] for s in samples["counting"]),
        "not_counting_p50_ms": statistics.median(s["p50_ms"] for s in samples["not_counting"]),
        "cost_of_counting": round(1 - on / off, 3),
        "counter_checks": checks,
        "failed_requests": sum(s["non_2xx"] for v in samples.values() for s in v),
        "samples": samples,
    }
