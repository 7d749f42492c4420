"""
Reader pages at 100, 10,000 and 100,000 posts, on the real stack (gunicorn,
three workers; SQLite), each against the floor of the same stack serving a
static file in the same run: req/s and p99 at 8 connections (wrk) of the front
page and its last page, a post page (a new visitor each request, and one
visitor reloading), the biggest tag's first and last page, the Atom feed, the
sitemap index and its first posts file; the largest web worker's RSS and anonymous memory after the run; and the
admin post list's time for a logged-in Administrator (median of 5).

    .venv/bin/python -m bench.pages_scale [--sizes 100 10000 100000]
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fill import authors_insert, connect
from bench.stacks import Stack, anon_kib, memory_kib, process_tree
from bench.views import _wrk
from harness.live import Client, SmtpServer, collectstatic

SIZES = (100, 10_000, 100_000)
AUTHORS = 100
TAGS = 50
PER_PAGE = 10
SECONDS = 5
PASSWORD = "a-long-enough-passphrase-42"
ADMIN = f"""
from users.models import User
User.objects.create_superuser(email="admin@bench.example", password={PASSWORD!r})
"""
BODY = "<p>" + "Some words of a post, long enough to look like one. " * 30 + "</p>"


def published_at(p: int, posts: int, now: datetime) -> datetime:
    """Post p of `posts` was published p minutes after the first, the last one a minute before `now`."""
    return (now - timedelta(minutes=posts - p + 1)).replace(microsecond=0)


def cursor(p: int, posts: int, now: datetime) -> str:
    """The ?older= cursor that stops at post p (blog.pagination.cursor_of: its time and address)."""
    return f"{int(published_at(p, posts, now).timestamp()) * 1_000_000}.post-{p}"


def fill(db_path: Path, posts: int, now: datetime) -> None:
    """Authors, posts (one a minute back from now), tags (tag 1 on every other post) straight into SQLite."""
    rng = random.Random(26)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    conn = connect(db_path)
    with conn:
        authors_insert(conn, AUTHORS, stamp, named=True)
        conn.executemany(
            "insert into blog_tag (id, name, slug) values (?, ?, ?)",
            ((n, f"topic {n}", f"topic-{n}") for n in range(1, TAGS + 1)),
        )

        def rows():
            for p in range(1, posts + 1):
                at = published_at(p, posts, now).strftime("%Y-%m-%d %H:%M:%S")
                yield (
                    p,
                    (p - 1) % AUTHORS + 1,
                    f"Post number {p}",
                    f"post-{p}",
                    "Some words.",
                    BODY,
                    "Some words of a post …",
                    300,
                    at,
                    at,
                    at,
                    at,
                )

        conn.executemany(
            "insert into blog_post (id, author_id, title, slug, content, content_html, excerpt, word_count,"
            " created_at, updated_at, published_at, subscribers_owed_at, view_count)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            rows(),
        )
        conn.executemany(
            "insert into blog_post_tags (post_id, tag_id) values (?, ?)",
            (
                (p, tag)
                for p in range(1, posts + 1)
                for tag in sorted({1 if p % 2 else rng.randint(2, TAGS), rng.randint(2, TAGS)})
            ),
        )
    conn.execute("ANALYZE")
    conn.close()


def _admin_list_ms(stack) -> float:
    client = Client(stack.url)
    client.post_form("/admin/login/", {"username": "admin@bench.example", "password": PASSWORD})
    took = []
    for _ in range(6):
        began = time.perf_counter()
        status, _, _ = client.get("/admin/blog/post/")
        took.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    return round(statistics.median(took[1:]), 1)


def measure(stack, posts: int, folder: Path, now: datetime) -> dict:
    # The oldest page: older than the 11th oldest post (of the biggest tag: the 11th oldest odd post).
    last, tag_last = cursor(min(posts, PER_PAGE + 1), posts, now), cursor(min(posts, 2 * PER_PAGE + 1), posts, now)
    pages = {
        "static file (floor)": ("/static/site/site.css", False),
        "front page": ("/", False),
        "front page, oldest page": (f"/?older={last}", False),
        "post page, new visitor": (f"/posts/post-{posts // 2}/", True),
        "post page, reload": (f"/posts/post-{posts // 2 + 1}/", False),
        "biggest tag, first page": ("/tags/topic-1/", False),
        "biggest tag, oldest page": (f"/tags/topic-1/?older={tag_last}", False),
        "Atom feed": ("/feed/atom/", False),
        "sitemap index": ("/sitemap.xml", False),
        "sitemap, first posts file": ("/sitemap-posts.xml", False),
    }
    static_url = _static_css(stack)
    result = {}
    for name, (path, distinct) in pages.items():
        url = stack.url + (static_url if path.startswith("/static/") else path)
        result[name] = _wrk(url, distinct, folder, seconds=SECONDS)
        print(posts, name, result[name]["per_s"], result[name]["p99_ms"], flush=True)
    # RSS counts the database pages SQLite maps (up to 128 MiB per connection, a connection per thread);
    # anonymous memory is what the worker itself holds.
    workers = process_tree(stack.services()["web"])[1:]
    result["worker_rss_after_mib"] = round(max(memory_kib(pid)[0] for pid in workers) / 1024, 1)
    result["worker_anon_after_mib"] = round(max(anon_kib(pid) for pid in workers) / 1024, 1)
    result["admin_post_list_ms"] = _admin_list_ms(stack)
    return result


def _static_css(stack) -> str:
    manifest = json.loads((Path(stack.site.env["STATIC_ROOT"]) / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["site/site.css"]


def run(folder: Path, static_root: Path, sizes=SIZES) -> dict:
    result = {"seconds": SECONDS, "authors": AUTHORS, "sizes": {}}
    with SmtpServer() as smtp:
        for posts in sizes:
            stack = Stack("huey", folder / f"p{posts}", smtp.port, static_root)
            stack.site.migrate()
            now = datetime.now(UTC)
            fill(stack.site.data_dir / "db.sqlite3", posts, now)
            stack.site.shell(ADMIN)
            with stack:
                result["sizes"][posts] = measure(stack, posts, folder, now)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-pages-") as tmp:
        collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), Path(tmp) / "static", args.sizes), indent=2))


if __name__ == "__main__":
    main()
