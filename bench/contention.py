"""
One account saving worst-case drafts, and everyone else's writes meanwhile.

The real stack (gunicorn with the product's three workers, run_huey, SQLite)
serves, for SECONDS: one Author saving, over two connections at once, drafts
of the largest size a post may have, made of the slowest code blocks
bench/lexers.py found (tests/blog/data/worst_code.json); and other visitors
writing at the same time: counted reads of a post, each from a new address,
and logins. The Author's quotas are lifted; the save throttle stays.
Reported: the other writes' p50, p99 and worst latency and any
answer other than 200/302, once with the attacker and once without, and how
long the attacker's saves took. Before rendering moved out of transactions
and got a budget, one such draft held SQLite's write lock for seconds and
other writes answered 500 "database is locked" for 20 to 56 s.

    .venv/bin/python -m bench.contention
"""

import json
import statistics
import threading
import time
from pathlib import Path

from bench.stacks import Stack
from harness.live import Client, SmtpServer

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 30
ATTACKERS = 2
PASSWORD = "a-long-enough-passphrase-42"
# The Author's quotas are lifted (an owner may raise them), so that only the
# per-account save throttle and the rendering budget stand in the way.
UNLIMITED = {"QUOTA_AUTHOR_POSTS_PER_DAY": "1000000", "QUOTA_AUTHOR_DRAFTS_KB": "100000000"}

SETUP = """
from blog import services
from users.models import User
attacker = User.objects.create_user(email="attacker@bench.example", password={password!r}, is_verified=True,
                                    role="author")
writer = User.objects.create_user(email="writer@bench.example", password=None, is_verified=True, role="author")
for n in range(20):
    User.objects.create_user(email=f"reader{{n}}@bench.example", password={password!r}, is_verified=True,
                             role="contributor")
post = services.post_create(author=writer, title="Read me", content="Hello. " * 200, publish=True)
from blog.models.posts import CONTENT_MAX_LENGTH
print(CONTENT_MAX_LENGTH, post.get_absolute_url())
"""


def worst_draft(size: int) -> str:
    """Code blocks of the slowest patterns found, one language after another, up to `size` characters."""
    from bench.lexers import repeat

    kept = json.loads((ROOT / "tests" / "blog" / "data" / "worst_code.json").read_text())
    fence = "`" * 8
    per_block = max(2_000, size // max(1, len(kept)) - 40)
    blocks = [f"{fence}{alias}\n{repeat(row['pattern'], per_block)}\n{fence}\n" for alias, row in sorted(kept.items())]
    text = ""
    for block in blocks * (size // (per_block * len(blocks)) + 1):
        if len(text) + len(block) > size:
            break
        text += block
    return text


def _percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(samples, bad):
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1) if samples else None,
        "p99_ms": round(_percentile(samples, 0.99) * 1000, 1) if samples else None,
        "max_ms": round(max(samples) * 1000, 1) if samples else None,
        "bad_answers": bad,
    }


def _others(stack, post_url, stop, results):
    """Counted reads from new addresses and logins, one after another, until `stop`."""
    n = 0
    while not stop.is_set():
        n += 1
        address = f"10.9.{n // 250 % 250}.{n % 250 + 1}"
        reader = Client(stack.url, headers={"X-Forwarded-For": address})
        if n % 5 == 0:  # A login: the session row, last_login.
            token = reader.csrf_token("/accounts/login/")
            fields = {"csrfmiddlewaretoken": token, "username": f"reader{n % 20}@bench.example", "password": PASSWORD}
            began = time.perf_counter()
            status, _, _ = reader.request("/accounts/login/", fields)
            kind = "login"
        else:  # A counted read: the read row and three counters.
            began = time.perf_counter()
            status, _, _ = reader.get(post_url)
            kind = "read"
        results[kind].append(time.perf_counter() - began)
        if status not in (200, 302):
            results["bad"].append(status)


def _attacker(stack, draft, stop, took, answers):
    client = Client(stack.url, headers={"X-Forwarded-For": "10.66.0.1"})
    client.post_form("/accounts/login/", {"username": "attacker@bench.example", "password": PASSWORD})
    n = 0
    while not stop.is_set():
        n += 1
        token = client.csrf_token("/write/")
        began = time.perf_counter()
        status, _, _ = client.request(
            "/write/", {"csrfmiddlewaretoken": token, "title": f"Draft {n}", "content": f"{n}\n\n{draft}"}, timeout=120
        )
        took.append(time.perf_counter() - began)
        answers.append(status)


def measure(stack, post_url, draft, attackers):
    stop = threading.Event()
    results = {"read": [], "login": [], "bad": []}
    saves, answers = [], []
    threads = [threading.Thread(target=_others, args=(stack, post_url, stop, results))]
    threads += [threading.Thread(target=_attacker, args=(stack, draft, stop, saves, answers)) for _ in range(attackers)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    others = results["read"] + results["login"]
    return {
        "others": _summary(others, sorted(set(map(str, results["bad"])))),
        "reads": _summary(results["read"], []),
        "logins": _summary(results["login"], []),
        "attacker_saves": len(saves),
        "attacker_save_p50_ms": round(statistics.median(saves) * 1000) if saves else None,
        "attacker_answers": {str(status): answers.count(status) for status in sorted(set(answers), key=str)},
    }


def run(folder, static_root):
    result = {"seconds": SECONDS, "attacker_connections": ATTACKERS}
    with SmtpServer() as smtp:
        for label, attackers in (("quiet", 0), ("attacked", ATTACKERS)):
            with Stack("huey", folder / label, smtp.port, static_root, **UNLIMITED) as stack:
                size, post_url = stack.site.shell(SETUP.format(password=PASSWORD)).split()[-2:]
                draft = worst_draft(int(size) - 200)
                result["draft_characters"] = len(draft)
                result[label] = measure(stack, post_url, draft, attackers)
                print(label, result[label], flush=True)
    return result


if __name__ == "__main__":
    import tempfile

    from harness.live import collectstatic

    with tempfile.TemporaryDirectory(prefix="qp-contention-") as tmp:
        collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), Path(tmp) / "static"), indent=2))
