"""
Planning the daily reports for 100,000 authors, and the writes that wait
meanwhile: the time `services.report_plan` takes, and the longest and p99
wait of a small write (one row's counter, in its own IMMEDIATE transaction,
every 10 ms from another process) while it runs. SQLite, on a copy of the
schema the product migrates.

    .venv/bin/python -m bench.planning [--authors 100000]
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fill import authors_insert, connect

ROOT = Path(__file__).resolve().parent.parent
PLAN = """
from django.conf import settings
from django.db import connection
# Planned by the consumer in production: its connection's settings (run_huey).
connection.close()
connection.settings_dict["OPTIONS"]["init_command"] = settings.CONSUMER_SQLITE_PRAGMAS
import time
from datetime import timedelta
from django.utils import timezone
from blog import services
began = time.perf_counter()
owed = services.report_plan(day=timezone.localdate() - timedelta(days=1))
print(len(owed), round(time.perf_counter() - began, 2))
"""


def fill(db_path: Path, authors: int) -> None:
    """An author, a post and yesterday's reads per author, straight into SQLite."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    published = (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    yesterday = (now.astimezone() - timedelta(days=1)).date().isoformat()
    conn = connect(db_path)
    with conn:
        authors_insert(conn, authors, stamp)
        conn.executemany(
            "insert into blog_post (id, author_id, title, slug, content, created_at, updated_at, published_at,"
            " subscribers_owed_at, fediverse_owed_at, view_count) values (?, ?, ?, ?, 'Text.', ?, ?, ?, ?, ?, 3)",
            (
                (n, n, f"Post {n}", f"post-{n}", published, published, published, published, published)
                for n in range(1, authors + 1)
            ),
        )
        conn.executemany(
            "insert into blog_dailyviews (post_id, day, views) values (?, ?, 3)",
            ((n, yesterday) for n in range(1, authors + 1)),
        )
        conn.execute("create table bench_counter (id integer primary key, n integer)")
        conn.execute("insert into bench_counter values (1, 0)")
    conn.execute("ANALYZE")
    conn.close()


def _writer(db_path: Path, stop: threading.Event, waits: list[float]) -> None:
    conn = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    # As the web's connections (site/settings.py SQLITE_PRAGMAS).
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    while not stop.is_set():
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("update bench_counter set n = n + 1 where id = 1")
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - began)
        time.sleep(0.01)
    conn.close()


def run(authors: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="qp-planning-") as tmp:
        env = {**os.environ, "DATA_DIR": tmp, "DJANGO_DEBUG": "1", "PYTHONPATH": str(ROOT)}
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        fill(Path(tmp) / "db.sqlite3", authors)
        stop, waits = threading.Event(), []
        writer = threading.Thread(target=_writer, args=(Path(tmp) / "db.sqlite3", stop, waits))
        writer.start()
        time.sleep(1)
        quiet = len(waits)
        out = subprocess.run(
            [*manage, "shell", "--no-imports", "-c", PLAN],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        stop.set()
        writer.join()
    owed, seconds = out.split()[-2:]
    during = sorted(waits[quiet:])
    return {
        "authors": authors,
        "reports_owed": int(owed),
        "plan_seconds": float(seconds),
        "writes_during": len(during),
        "write_wait_p99_ms": round(during[round(0.99 * (len(during) - 1))] * 1000, 1),
        "write_wait_max_ms": round(max(during) * 1000, 1),
        "write_wait_p50_ms": round(statistics.median(during) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", type=int, default=100_000)
    print(json.dumps(run(parser.parse_args().authors), indent=2))


if __name__ == "__main__":
    main()
