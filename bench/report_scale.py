"""
The daily report at scale: 10,000 authors, 100,000 posts, 30 days of per-day
views. Time until every report mail is accepted by SMTP, the consumer's peak
memory, and database queries per author for 1, 10 and 50 posts.
"""

import random
import sqlite3
import threading
import time
from datetime import date, datetime, timedelta, timezone

from bench.stacks import Stack, anon_kib, memory_kib, process_tree
from harness.live import SmtpServer, wait_for

POSTS_PER_AUTHOR = 10
DAYS = 30

QUERIES = """
import json
from datetime import timedelta
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from blog.models import Post, Report
from blog.deliveries import REPORT
from site.outbox import delivery_send
from users.models import User
day = timezone.localdate() - timedelta(days=3)
counts = {}
with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
    mail.outbox = []
    for posts in (1, 10, 50):
        author = User.objects.create_user(email=f"q{posts}@bench.example", password=None, is_verified=True)
        Post.objects.bulk_create([Post(author=author, title=f"p{n}", slug=f"q{posts}-{n}", content="x",
                                       published_at=timezone.now() - timedelta(days=40)) for n in range(posts)])
        report = Report.objects.create(author=author, day=day)
        with CaptureQueriesContext(connection) as queries:
            delivery_send(kind=REPORT, pk=report.pk)
        counts[posts] = len(queries)
print(json.dumps(counts))
"""


def _fill(db_path, authors, today):
    """Authors, posts and daily tallies straight into SQLite: the ORM would take minutes."""
    rng = random.Random(1)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    published = (datetime.now(timezone.utc) - timedelta(days=DAYS + 5)).strftime("%Y-%m-%d %H:%M:%S")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany(
            "insert into users_user"
            " (id, password, is_superuser, email, display_name, is_verified, is_staff, is_active, date_joined)"
            " values (?, '!', 0, ?, '', 1, 0, 1, ?)",
            ((n, f"author{n}@bench.example", now) for n in range(1, authors + 1)),
        )
        conn.executemany(
            "insert into blog_post"
            " (id, author_id, title, slug, content, created_at, updated_at, published_at, view_count)"
            " values (?, ?, ?, ?, 'Some text.', ?, ?, ?, 0)",
            (
                (p, (p - 1) // POSTS_PER_AUTHOR + 1, f"Post number {p}", f"post-{p}", published, now, published)
                for p in range(1, authors * POSTS_PER_AUTHOR + 1)
            ),
        )
        days = [(today - timedelta(days=d)).isoformat() for d in range(DAYS)]
        conn.executemany(
            "insert into blog_dailyviews (post_id, day, views) values (?, ?, ?)",
            ((p, day, rng.randint(0, 20)) for p in range(1, authors * POSTS_PER_AUTHOR + 1) for day in days),
        )
        conn.execute(
            "update blog_post set view_count ="
            " (select sum(views) from blog_dailyviews d where d.post_id = blog_post.id)"
        )
    conn.execute("ANALYZE")
    conn.close()


def run(folder, static_root, authors=10_000):
    with SmtpServer() as smtp:
        stack = Stack("huey", folder, smtp.port, static_root)
        stack.site.manage("migrate", "--no-input", "-v0")
        started = time.perf_counter()
        _fill(stack.site.data_dir / "db.sqlite3", authors, date.today())
        fill_seconds = time.perf_counter() - started
        import json

        queries = json.loads(stack.site.shell(QUERIES).strip().splitlines()[-1])
        smtp.inbox.messages.clear()
        smtp.inbox.arrivals.clear()
        peak = {"rss": 0, "anon": 0}
        stop = threading.Event()
        try:
            # The consumer starts after REPORT_TIME has passed: its reconciler
            # plans the day's reports and fans out one task per author.
            started = time.perf_counter()
            stack.site.start_consumer()
            pid = stack.site.processes["consumer"].pid

            def sample():
                while not stop.is_set():
                    pids = process_tree(pid)
                    peak["rss"] = max(peak["rss"], sum(memory_kib(p)[0] for p in pids))
                    peak["anon"] = max(peak["anon"], sum(anon_kib(p) for p in pids))
                    time.sleep(0.2)

            sampler = threading.Thread(target=sample)
            sampler.start()
            # Every author had reads that day (10 posts at 0 to 20 reads each);
            # the three of the query count above had none, so get no report.
            wait_for(lambda: len(smtp.inbox.messages) >= authors, 1800, interval=0.5, message=f"{authors} reports")
            seconds = time.perf_counter() - started
            time.sleep(3)
            recipients = [str(m["To"]) for m in smtp.inbox.messages if "report" in str(m["Subject"]).lower()]
        finally:
            stop.set()
            stack.stop()
    return {
        "authors": authors,
        "posts": authors * POSTS_PER_AUTHOR,
        "daily_view_rows": authors * POSTS_PER_AUTHOR * DAYS,
        "fill_seconds": round(fill_seconds, 1),
        "all_mails_seconds": round(seconds, 1),
        "mails_per_s": round(len(recipients) / seconds, 1),
        "mails": len(recipients),
        "duplicates": len(recipients) - len(set(recipients)),
        "consumer_peak_rss_mib": round(peak["rss"] / 1024, 1),
        "consumer_peak_anon_mib": round(peak["anon"] / 1024, 1),
        "queries_per_author_by_posts": queries,
    }
