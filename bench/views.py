"""
Post page throughput at 8 concurrent clients (wrk), with read counting on and
off. Counting on is measured twice: every request a new visitor (the worst
case: each one writes a read row and three counters) and one visitor
reloading (the cheapest: a duplicate read row, nothing else).
"""

import re
import statistics
import subprocess
import threading
import time

from bench.stacks import Stack
from harness.live import BROWSER_UA, Client, SmtpServer, wait_for

ROUNDS = 3
SECONDS = 10


# Each request presents as a browser; with DISTINCT, from its own address
# (the stack runs with DJANGO_BEHIND_PROXY=1), numbered per wrk thread.
WRK_SCRIPT = (
    """
local thread_id, n = 0, 0
local counter = 1
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) thread_id = tonumber(id) or 0 end
function request()
  n = n + 1
  local headers = {["User-Agent"] = "%s"}
  if DISTINCT then
    headers["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", thread_id, math.floor(n / 250) %% 250, n %% 250)
  end
  return wrk.format("GET", nil, headers)
end
"""
    % BROWSER_UA
)


def _ms(match):
    return round(float(match[1]) * {"us": 0.001, "ms": 1, "s": 1000}[match[2]], 2)


def _wrk(url, distinct, folder, seconds=SECONDS):
    """req/s, p50 and p99 of `url` at 8 connections, each request a browser (and with `distinct` a new address)."""
    script = folder / f"wrk-{'distinct' if distinct else 'reload'}.lua"
    script.write_text(("DISTINCT = true\n" if distinct else "DISTINCT = false\n") + WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+)(us|ms|s)", out)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+)(us|ms|s)", out)),
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

    def reader(thread):
        for n in range(each):
            client = Client(stack.url, headers={"X-Forwarded-For": f"10.200.{thread}.{n}"})  # New visitors.
            statuses.append(client.get(f"/posts/{slug}/")[0])

    threads = [threading.Thread(target=reader, args=(t,)) for t in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [(after,)] = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
    return {"exact_requests": len(statuses), "exact_ok": statuses.count(200), "exact_counted": after - before}


MODES = {"distinct": (True, True), "reload": (True, False), "off": (False, True)}  # counting, distinct visitors


def run(folder, static_root):
    samples = {mode: [] for mode in MODES}
    checks = []
    with SmtpServer() as smtp:
        for n in range(ROUNDS):
            for mode, (counting, distinct) in MODES.items():
                stack = Stack("nomail", folder / f"r{n}-{mode}", smtp.port, static_root, counting=counting)
                with stack:
                    stack.site.manage("seed_demo", "-v0")
                    slug, before = stack.site.db("select slug, view_count from blog_post order by id limit 1")[0]
                    result = _wrk(f"{stack.url}/posts/{slug}/", distinct, folder)
                    [(after,)] = stack.site.db("select view_count from blog_post where slug = ?", (slug,))
                    result["counted"] = after - before
                    samples[mode].append(result)
                    if mode == "distinct":
                        checks.append(
                            {"wrk_completed": result["requests"], "counted": after - before, **_exact(stack, slug)}
                        )
    per_s = {mode: statistics.median(s["per_s"] for s in samples[mode]) for mode in MODES}
    return {
        "clients": 8,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "per_s": per_s,
        "p50_ms": {mode: statistics.median(s["p50_ms"] for s in samples[mode]) for mode in MODES},
        "cost_of_counting": round(1 - per_s["distinct"] / per_s["off"], 3),
        "cost_of_counting_reload": round(1 - per_s["reload"] / per_s["off"], 3),
        "reload_counted": [s["counted"] for s in samples["reload"]],
        "counter_checks": checks,
        "failed_requests": sum(s["non_2xx"] for v in samples.values() for s in v),
        "samples": samples,
    }
