"""
Reader pages at 100, 10,000 and 100,000 posts, on the real stack (gunicorn,
three workers), each against the floor of the same stack serving a
static file in the same run: req/s and p99 at 8 connections (wrk) of the front
page and its last page, a post page (a new visitor each request, and one
visitor reloading), the biggest tag's first and last page, the Atom feed, the
sitemap index and its first posts file; the largest web worker's RSS and
anonymous memory after the run; and the admin post list's time for a
logged-in Administrator (median of 5). On SQLite and on PostgreSQL (a
throwaway server from Debian's packages), each with its default page cache
(files in DATA_DIR; the database's table).

    .venv/bin/python -m bench.pages_scale [--sizes 100 10000 100000] [--engines sqlite postgresql]
"""

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fill import AUTHORS_SQL, Filler, author_rows
from bench.stacks import Stack, anon_kib, memory_kib, process_tree
from bench.views import _wrk
from harness.live import Client, SmtpServer, collectstatic
from harness.postgres import PostgresServer

SIZES = (100, 10_000, 100_000)
ENGINES = ("sqlite", "postgresql")
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


def fill(filler: Filler, posts: int, now: datetime) -> None:
    """Authors, posts (one a minute back from now), tags (tag 1 on every other post), straight into the database."""
    rng = random.Random(26)
    stamp = filler.stamp(now.strftime("%Y-%m-%d %H:%M:%S"))
    filler.many(AUTHORS_SQL, author_rows(AUTHORS, stamp, named=True))
    filler.many(
        "insert into blog_tag (id, name, slug) values (?, ?, ?)",
        ((n, f"topic {n}", f"topic-{n}") for n in range(1, TAGS + 1)),
    )

    def rows():
        for p in range(1, posts + 1):
            at = filler.stamp(published_at(p, posts, now).strftime("%Y-%m-%d %H:%M:%S"))
            yield (p, (p - 1) % AUTHORS + 1, f"Post number {p}", f"post-{p}", "Some words.", BODY,
                   "Some words of a post …", 300, at, at, at, at, at)  # fmt: skip

    filler.many(
        "insert into blog_post (id, author_id, title, slug, content, content_html, excerpt, word_count,"
        " created_at, updated_at, published_at, subscribers_owed_at, fediverse_owed_at, view_count)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        rows(),
    )
    filler.many(
        "insert into blog_post_tags (post_id, tag_id) values (?, ?)",
        (
            (p, tag)
            for p in range(1, posts + 1)
            for tag in sorted({1 if p % 2 else rng.randint(2, TAGS), rng.randint(2, TAGS)})
        ),
    )
    filler.done(["users_user", "blog_tag", "blog_post", "blog_post_tags"])


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
        # A second first, not measured: the first requests after a fill or
        # another page read cold files and fill the page cache.
        _wrk(url, distinct, folder, seconds=1)
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


def run(folder: Path, static_root: Path, sizes=SIZES, engines=ENGINES, postgres=None) -> dict:
    """`postgres`: a running harness.postgres.PostgresServer, or None to start one here."""
    result = {"seconds": SECONDS, "authors": AUTHORS, "engines": {}}
    with SmtpServer() as smtp, contextlib.ExitStack() as started:
        postgres = postgres or started.enter_context(PostgresServer())
        for engine in engines:
            result["engines"][engine] = by_size = {}
            for posts in sizes:
                url = postgres.create(f"bench_pages_{posts}") if engine == "postgresql" else ""
                stack = Stack("huey", folder / f"{engine}{posts}", smtp.port, static_root, database_url=url)
                stack.site.migrate()
                now = datetime.now(UTC)
                fill(Filler(db_path=stack.site.data_dir / "db.sqlite3", database_url=url), posts, now)
                stack.site.shell(ADMIN)
                with stack:
                    by_size[posts] = measure(stack, posts, folder, now)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-pages-") as tmp:
        collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), Path(tmp) / "static", args.sizes, args.engines), indent=2))


if __name__ == "__main__":
    main()
