"""
A bare queue for the throughput benchmark: one tiny task that counts itself,
on Huey's SQLite storage at a chosen durability level, or on its PostgreSQL
storage (LISTEN/NOTIFY) when BENCH_QUEUE_URL names a database.

    BENCH_QUEUE=/tmp/q.sqlite3 BENCH_SYNC=NORMAL python -c "import bench.queue_worker as w; w.consume()"
    BENCH_QUEUE_URL=postgres://... python -c "import bench.queue_worker as w; w.consume()"

(Not `python -m`: the task must be registered under this module's name, not __main__.)
"""

import os
from pathlib import Path

import site

site.__path__ = [str(Path(__file__).resolve().parent.parent / "site")]

from huey import PostgresHuey, SqliteHuey  # noqa: E402

from site.queue import QueueHuey  # noqa: E402

SYNC = os.environ.get("BENCH_SYNC", "NORMAL")
FILENAME = os.environ.get("BENCH_QUEUE", "/tmp/qp-bench-queue.sqlite3")
URL = os.environ.get("BENCH_QUEUE_URL", "")
if URL:
    huey = PostgresHuey("bench", dsn=URL, results=False)  # The storage the product uses on PostgreSQL.
elif SYNC == "NORMAL":
    huey = QueueHuey("bench", filename=FILENAME, results=False)  # The product's storage.
else:
    huey = SqliteHuey("bench", filename=FILENAME, results=False, fsync=True)  # synchronous=FULL


@huey.task()
def noop():
    huey.storage.incr("bench:done")


def consume():
    # The product's consumer settings (site/settings.py HUEY["consumer"]).
    huey.create_consumer(
        workers=4, worker_type="thread", initial_delay=0.1, backoff=1.15, max_delay=1.0, periodic=False
    ).run()
