"""
The product's verification mail on four queues side by side, in one run:
Huey on SQLite (the product), django-q2 with its ORM broker and django-tasks
with its database backend (both on the product's SQLite database), and
Celery on Redis. Throughput of 10,000 tiny tasks; signup-to-inbox latency
idle and in a burst, with "database is locked" errors seen in any log; loss
under SIGKILL, with the product's reconciler and with the queue alone; and
the footprint of each running stack.

    .venv/bin/python -m bench.peers [--quick]
"""

import argparse
import collections
import importlib.metadata
import json
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

from bench import signup, throughput
from bench.stacks import Stack, footprint, process_tree
from harness.live import SmtpServer, wait_for

KINDS = ("huey", "q2", "tasksdb", "celery")
LABELS = {
    "huey": "Huey / SQLite",
    "q2": "django-q2 / ORM on SQLite",
    "tasksdb": "django-tasks-db / SQLite",
    "celery": "Celery / Redis",
}
OWED = 200

ENQUEUE_NOOPS = """
import time
from django.db import connection
from bench import modes
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_done (n integer)")
    cursor.execute("INSERT INTO bench_done VALUES (0)")
start = time.time()
for _ in range({count}):
    modes.peer_enqueue("noop")
print(start, time.time())
"""

MAKE_OWED = """
from bench import modes
modes.apply({kind!r})
from users.services import user_create
for n in range({count}):
    user_create(email=f"k{{n}}@kill.example", password=None)
"""


def versions():
    names = ("huey", "django-q2", "django-tasks", "django-tasks-db", "celery")
    return {name: _version(name) for name in names}


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _peer_throughput(folder, static_root, kind, count):
    """The peer's worker alone on a migrated database; a shell enqueues `count` tasks that count themselves."""
    stack = Stack(kind, folder / f"throughput-{kind}", 25, static_root, reconciler=False)
    site = stack.site
    site.migrate()
    stack.start_worker()
    try:
        start, enqueued_at = map(float, site.shell(ENQUEUE_NOOPS.format(count=count)).split()[-2:])

        def done():
            with sqlite3.connect(site.data_dir / "db.sqlite3", timeout=30) as conn:
                return conn.execute("select n from bench_done").fetchone()[0] >= count

        wait_for(done, 900, interval=0.2, message=f"{count} {kind} tasks")
        total = time.time() - start
    finally:
        site.stop_all()
    return {
        "enqueue_per_s": round(count / (enqueued_at - start)),
        "end_to_end_per_s": round(count / total),
        "seconds": round(total, 2),
    }


def throughput_section(folder, static_root, count):
    folder.mkdir(parents=True, exist_ok=True)
    throughput.TASKS = count
    return {
        "tasks": count,
        "huey": throughput._huey(folder, "NORMAL"),
        "q2": _peer_throughput(folder, static_root, "q2", count),
        "tasksdb": _peer_throughput(folder, static_root, "tasksdb", count),
        "celery": throughput._celery(folder),
    }


def _locked_errors(folder):
    return sum(path.read_text(errors="replace").count("database is locked") for path in folder.rglob("*.log"))


def latency_section(make_stack, folder, idle, burst):
    result = {}
    for kind in KINDS:
        result[kind] = signup.inbox_latency(make_stack(kind, folder / f"latency-{kind}"), idle, burst)
        result[kind]["locked_errors"] = _locked_errors(folder / f"latency-{kind}")
        print("latency", kind, result[kind], flush=True)
    return result


def _worker_names(kind):
    return ["consumer"] if kind == "huey" else ["worker"]


def _kill_tree(stack, name):
    process = stack.site.processes.pop(name)
    for pid in reversed(process_tree(process.pid)):  # The workers of a pool too, not only its parent.
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(30)


def _restart(stack):
    if stack.kind == "huey" and stack.reconciler:
        stack.site.start_consumer()
    elif stack.kind == "huey":
        stack.site.spawn("consumer", [sys.executable, "manage.py", "run_huey", "-n"])
    elif stack.kind == "celery":
        stack.site.spawn("worker", [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker"])
    else:
        stack.start_worker()


def loss_run(make_stack, folder, kind, reconciler, deadline):
    with SmtpServer() as smtp:
        smtp.inbox.delay = 0.05  # A server that takes a moment, so the kill lands mid-batch.
        with make_stack(kind, folder, reconciler=reconciler)(smtp) as stack:
            stack.site.shell(MAKE_OWED.format(kind=kind, count=OWED))
            wait_for(lambda: len(smtp.inbox.messages) >= 20, 120, message=f"{kind} sends to be under way")
            for name in _worker_names(kind):
                _kill_tree(stack, name)
            killed_at, before = time.time(), len(smtp.inbox.messages)
            _restart(stack)
            expected = {f"k{n}@kill.example" for n in range(OWED)}
            try:
                wait_for(lambda: expected <= {a for a, _ in smtp.inbox.arrivals}, deadline, interval=0.5)
            except AssertionError:
                pass  # What has not come by the deadline counts as lost.
            time.sleep(3)
            arrivals = list(smtp.inbox.arrivals)
    received = collections.Counter(address for address, _ in arrivals)
    return {
        "delivered_before_kill": before,
        "delivered": len(set(received) & expected),
        "lost": len(expected - set(received)),
        "duplicated": sum(n - 1 for n in received.values()),
        "last_arrival_after_kill_s": round(max(at for _, at in arrivals) - killed_at, 1) if arrivals else None,
        "deadline_s": deadline,
    }


def loss_section(make_stack, folder, deadline):
    result = {}
    for kind in KINDS:
        for reconciler in (True, False):
            key = f"{kind}_{'reconciler' if reconciler else 'queue_alone'}"
            result[key] = loss_run(make_stack, folder / key, kind, reconciler, deadline)
            print("loss", key, result[key], flush=True)
    return result


def footprint_section(make_stack, folder):
    result = {}
    for kind in KINDS:
        with SmtpServer() as smtp, make_stack(kind, folder / f"footprint-{kind}")(smtp) as stack:
            run = signup.Signups(stack, "f")
            for _ in range(10):
                run.one()
            time.sleep(2)
            result[kind] = footprint(stack)
    return result


def run(folder, static_root, quick=False):
    def make_stack(kind, where, **kw):
        return lambda smtp: Stack(kind, where, smtp.port, static_root, **kw)

    folder.mkdir(parents=True, exist_ok=True)
    results = {"versions": versions()}
    results["throughput"] = throughput_section(folder / "throughput", static_root, 500 if quick else 10_000)
    print("throughput", results["throughput"], flush=True)
    results["latency"] = latency_section(make_stack, folder / "latency", 5 if quick else 20, 40 if quick else 200)
    results["loss"] = loss_section(make_stack, folder / "loss", 30 if quick else 130)
    results["footprint"] = footprint_section(make_stack, folder / "footprint")
    print("footprint", results["footprint"], flush=True)
    return results


if __name__ == "__main__":
    import tempfile

    from harness.live import collectstatic

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers, to check the harness")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-peers-") as tmp:
        static_root = collectstatic(Path(tmp) / "static")
        print(json.dumps(run(Path(tmp), static_root, quick=args.quick), indent=2))
