"""
Importing a large export: a 10,000-post WordPress export (and a Ghost one
of the same posts), made up here with about 10 KB of classic-editor text a
post, so the WordPress file is about 100 MB. Items a second, the importing
process's peak memory against an export a quarter the size (constant memory
means the same peak), the second run (nothing to add), and the longest wait
of a small write from another process meanwhile (each post is its own short
transaction). SQLite, `manage.py import_posts` in the foreground.

    .venv/bin/python -m bench.import_scale [--posts 10000]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.planning import _writer

ROOT = Path(__file__).resolve().parent.parent
WORDS = "the a site post blog write small team server box import export mail reader tag page search".split()
AUTHOR = """
from users.models import User
from users.roles import Role
User.objects.create_user(email="importer@bench.example", password=None, is_verified=True, role=Role.EDITOR)
from django.db import connection
with connection.cursor() as c:
    c.execute("create table bench_counter (id integer primary key, n integer)")
    c.execute("insert into bench_counter values (1, 0)")
"""


def _text(rng: random.Random, paragraphs: int) -> str:
    out = []
    for _ in range(paragraphs):
        words = [rng.choice(WORDS) for _ in range(rng.randint(60, 120))]
        words[rng.randrange(len(words))] = "<strong>bold</strong>"
        words[rng.randrange(len(words))] = '<a href="https://example.org/x">a link</a>'
        out.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(out)


def wordpress_export(path: Path, posts: int, paragraphs: int, *, first: int = 1) -> None:
    rng = random.Random(first)
    with open(path, "w") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
            "<channel><title>Bench</title><link>https://old.example</link>\n"
            "<wp:base_site_url>https://old.example</wp:base_site_url>\n"
        )
        for n in range(first, first + posts):
            day = f"20{10 + n % 14:02d}-{1 + n % 12:02d}-{1 + n % 28:02d} 10:{n % 60:02d}:00"
            out.write(
                f"<item><title>Post number {n}</title><link>https://old.example/?p={n}</link>"
                f"<dc:creator>writer</dc:creator><content:encoded><![CDATA[{_text(rng, paragraphs)}]]>"
                f"</content:encoded><wp:post_id>{n}</wp:post_id><wp:post_date_gmt>{day}</wp:post_date_gmt>"
                f"<wp:post_name>post-number-{n}</wp:post_name><wp:status>{'publish' if n % 10 else 'draft'}"
                f"</wp:status><wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="c{n % 7}"><![CDATA[Topic {n % 7}]]></category>'
                f'<category domain="post_tag" nicename="t{n % 31}"><![CDATA[tag {n % 31}]]></category></item>\n'
            )
        out.write("</channel></rss>\n")


def ghost_export(path: Path, posts: int, paragraphs: int, *, first: int = 1) -> None:
    rng = random.Random(first)
    with open(path, "w") as out:
        out.write('{"db":[{"meta":{"exported_on":0,"version":"6.0.0"},"data":{"posts":[')
        for n in range(first, first + posts):
            html = "".join(f"<p>{p}</p>" for p in _text(rng, paragraphs).split("\n\n"))
            row = {
                "id": f"{n:024x}",
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "title": f"Post number {n}",
                "slug": f"post-number-{n}",
                "html": html,
                "type": "post",
                "status": "published" if n % 10 else "draft",
                "visibility": "public",
                "published_at": f"20{10 + n % 14:02d}-01-01T10:00:00.000Z",
            }
            out.write(("," if n > first else "") + json.dumps(row))
        tags = ",".join(f'{{"id":"t{t}","name":"tag {t}"}}' for t in range(31))
        links = ",".join(
            f'{{"post_id":"{n:024x}","tag_id":"t{n % 31}","sort_order":0}}' for n in range(first, first + posts)
        )
        out.write(f'],"tags":[{tags}],"posts_tags":[{links}]}}}}]}}\n')


def _import(env: dict, path: Path, db_path: Path) -> dict:
    """One foreground import: its seconds, its process's peak memory, and small writes' waits meanwhile."""
    stop, waits = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(db_path, stop, waits))
    writer.start()
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_posts", str(path), "--author", "importer@bench.example"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    stop.set()
    writer.join()
    if status:
        raise RuntimeError(f"import_posts failed: {out[-2000:]}")
    during = sorted(waits)
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "summary": out.strip().splitlines()[-1],
        "write_wait_p50_ms": round(statistics.median(during) * 1000, 2),
        "write_wait_max_ms": round(during[-1] * 1000, 1),
    }


def run(posts: int, paragraphs: int = 12) -> dict:
    results: dict = {"posts": posts}
    with tempfile.TemporaryDirectory(prefix="qp-import-") as tmp:
        folder = Path(tmp)
        # Production settings: with DEBUG on, Django keeps the last 9,000 queries (a post's text in each).
        env = {
            **os.environ,
            "DATA_DIR": tmp,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", AUTHOR], cwd=ROOT, env=env, check=True
        )
        db = folder / "db.sqlite3"
        for name, make in (("wordpress", wordpress_export), ("ghost", ghost_export)):
            small, large = folder / f"{name}-small", folder / f"{name}-large"
            make(small, posts // 4, paragraphs, first=10 * posts)  # Other posts: each run adds all of its own.
            make(large, posts, paragraphs)
            measured = {"file_mib": round(large.stat().st_size / 2**20, 1)}
            measured["quarter"] = _import(env, small, db)
            measured["first"] = _import(env, large, db)
            measured["again"] = _import(env, large, db)
            measured["items_per_s"] = round(posts / measured["first"]["seconds"], 1)
            results[name] = measured
            print(name, json.dumps(measured), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    print(json.dumps(run(parser.parse_args().posts), indent=2))


if __name__ == "__main__":
    main()
