"""
Search at 100,000 posts on the real stack (gunicorn, three workers), SQLite's
FTS5 and PostgreSQL's full-text search: req/s, p50 and p99 at 8 connections
(wrk, a new client address each request, so the per-client limit never
answers) of /search/ for a word in a few posts, a word in about half of
them, two words, and a word typed halfway, beside a static file served by
the same stack in the same run (the floor).

    .venv/bin/python -m bench.search_scale [--posts 100000] [--engines sqlite postgresql]
"""

import argparse
import contextlib
import json
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.fill import Filler
from bench.pages_scale import fill
from bench.stacks import Stack
from bench.views import _wrk
from harness.live import SmtpServer, collectstatic
from harness.postgres import PostgresServer

POSTS = 100_000
ENGINES = ("sqlite", "postgresql")
SECONDS = 5
WORDS_A_POST = 80
# A made-up vocabulary (no stemming surprises): word n is in about 1/(n+1)
# of the posts, as words are in real writing.
VOCABULARY = [f"lexeme{n:04d}" for n in range(5_000)]
QUERIES = {
    "a word in a few posts (206)": "lexeme4321",
    "a word in nearly every post (99,991)": "lexeme0000",
    "two words (49,178 posts hold both)": "lexeme0003 lexeme0010",
    "a word typed halfway": "lexeme432",
}


def search_fill(filler: Filler, posts: int) -> None:
    rng = random.Random(29)
    weights = [1 / (n + 1) for n in range(len(VOCABULARY))]

    def rows():
        for p in range(1, posts + 1):
            words = rng.choices(VOCABULARY, weights, k=WORDS_A_POST)
            yield (p, f"Post number {p} {words[0]}", " ".join(words))

    filler.many("insert into blog_postsearch (post_id, title, body) values (?, ?, ?)", rows())
    filler.done([])


def run(folder: Path, static_root: Path, posts: int = POSTS, engines=ENGINES, postgres=None) -> dict:
    result = {"posts": posts, "seconds": SECONDS, "engines": {}}
    with SmtpServer() as smtp, contextlib.ExitStack() as started:
        postgres = postgres or started.enter_context(PostgresServer())
        for engine in engines:
            url = postgres.create(f"bench_search_{posts}") if engine == "postgresql" else ""
            stack = Stack("huey", folder / f"search-{engine}", smtp.port, static_root, database_url=url)
            stack.site.migrate()
            db = stack.site.data_dir / "db.sqlite3"
            fill(Filler(db_path=db, database_url=url), posts, datetime.now(UTC))
            search_fill(Filler(db_path=db, database_url=url), posts)
            with stack:
                manifest = json.loads((Path(stack.site.env["STATIC_ROOT"]) / "staticfiles.json").read_text())
                paths = {"static file (floor)": "/static/" + manifest["paths"]["site/site.css"]}
                paths |= {name: "/search/?q=" + query.replace(" ", "+") for name, query in QUERIES.items()}
                measured = result["engines"][engine] = {}
                for name, path in paths.items():
                    _wrk(stack.url + path, True, folder, seconds=1)  # Warm: cold files, cold caches.
                    measured[name] = _wrk(stack.url + path, True, folder, seconds=SECONDS)
                    print(engine, name, measured[name], flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-search-") as tmp:
        collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), Path(tmp) / "static", args.posts, args.engines), indent=2))


if __name__ == "__main__":
    main()
