"""Enqueue and process 10,000 tiny tasks: Huey/SQLite at two durability levels, Huey/PostgreSQL, Celery/Redis."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from harness.live import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
TASKS = 10_000


def _huey(folder, sync, url=""):
    queue = folder / f"queue-{sync}.sqlite3"
    env = {**os.environ, "BENCH_QUEUE": str(queue), "BENCH_SYNC": sync, "BENCH_QUEUE_URL": url}
    consumer = subprocess.Popen(
        [sys.executable, "-c", "import bench.queue_worker as w; w.consume()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        os.environ.update(BENCH_QUEUE=str(queue), BENCH_SYNC=sync, BENCH_QUEUE_URL=url)
        import importlib

        import bench.queue_worker as worker

        worker = importlib.reload(worker)  # Rebuild the Huey instance for this file and level.
        time.sleep(1)
        start = time.perf_counter()
        for _ in range(TASKS):
            worker.noop()
        enqueued = time.perf_counter() - start

        def done():
            return (worker.huey.storage.incr("bench:done", 0) if url else _sqlite_count(queue)) >= TASKS

        wait_for(done, 120, interval=0.05, message=f"{TASKS} huey tasks")
        total = time.perf_counter() - start
    finally:
        consumer.terminate()
        consumer.wait(30)
    return {
        "enqueue_per_s": round(TASKS / enqueued),
        "end_to_end_per_s": round(TASKS / total),
        "seconds": round(total, 2),
    }


def _sqlite_count(queue):
    with sqlite3.connect(queue, timeout=30) as conn:
        row = conn.execute("select value from counter where key = 'bench:done'").fetchone()
    return row[0] if row else 0


def _celery(folder):
    import redis
    from celery import Celery

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)], stdout=subprocess.DEVNULL
    )
    env = {**os.environ, "CELERY_BROKER_URL": url, "DJANGO_DEBUG": "1", "DATA_DIR": str(folder)}
    worker = None
    try:
        client = redis.Redis.from_url(url)
        wait_for(lambda: _pings(client), 20, message="redis")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        producer = Celery(broker=url)
        time.sleep(4)  # Worker start-up (Django set-up, prefork children).
        start = time.perf_counter()
        for _ in range(TASKS):
            producer.send_task("noop", ignore_result=True)
        enqueued = time.perf_counter() - start
        wait_for(
            lambda: int(client.get("bench:done") or 0) >= TASKS, 120, interval=0.05, message=f"{TASKS} celery tasks"
        )
        total = time.perf_counter() - start
    finally:
        if worker:
            worker.terminate()
            worker.wait(30)
        server.terminate()
        server.wait(30)
    return {
        "enqueue_per_s": round(TASKS / enqueued),
        "end_to_end_per_s": round(TASKS / total),
        "seconds": round(total, 2),
    }


def _pings(client):
    try:
        return client.ping()
    except Exception:
        return False


def run(folder, postgres):
    """`postgres`: a running harness.postgres.PostgresServer for the Huey/PostgreSQL row."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "tasks": TASKS,
        "huey_normal": _huey(folder, "NORMAL"),
        "huey_full": _huey(folder, "FULL"),
        "huey_postgres": _huey(folder, "postgres", url=postgres.create("bench_throughput")),
        "celery_redis": _celery(folder),
    }
