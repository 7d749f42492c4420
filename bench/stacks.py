"""
The stacks under comparison, started on loopback in a temporary folder:

- huey:   gunicorn + `manage.py run_huey` (the product)
- celery: gunicorn + redis-server + Celery worker + Celery beat
- q2:     gunicorn + `manage.py qcluster` (django-q2, ORM broker on the same SQLite)
- tasksdb: gunicorn + `manage.py db_worker` (django-tasks with its database backend)
- inline, nomail: gunicorn alone, mail sent in the request or not at all

`reconciler=False` runs the queue alone: no periodic reconciler of owed mail
(Huey's consumer with -n, no Celery beat, no schedule or loop for the peers).
"""

import os
import sys
import time
from pathlib import Path

from harness.live import LiveSite, free_port, wait_for

PEERS = ("q2", "tasksdb")

# django-q2's own scheduler (in the cluster) runs the product's reconciler every minute.
RECONCILE_SCHEDULED = """
from django_q.models import Schedule
Schedule.objects.get_or_create(
    name="deliveries-reconcile",
    defaults={"func": "bench.peer_tasks.deliveries_reconcile_all", "schedule_type": Schedule.MINUTES, "minutes": 1},
)
"""
# django-tasks has no scheduler: a loop runs the product's reconciler every minute.
RECONCILE_LOOP = """
import time
from bench import modes, peer_tasks
modes.apply("tasksdb")
while True:
    peer_tasks.deliveries_reconcile_all()
    time.sleep(60)
"""


class Stack:
    def __init__(self, kind, data_dir, smtp_port, static_root, counting=True, reconciler=True, database_url="", **env):
        self.kind, self.reconciler = kind, reconciler
        data_dir.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_port()
        self.site = LiveSite(
            data_dir,
            smtp_port,
            static_root,
            {
                "BENCH_MODE": kind,
                "BENCH_VIEW_COUNTING": "1" if counting else "0",
                # Each simulated client has its own address, as on the
                # internet, so the per-address signup limit does not bite.
                "DJANGO_BEHIND_PROXY": "1",
                "WEB_CONCURRENCY": "3",  # The product's default (site/gunicorn.conf.py).
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
                **({"DJANGO_SETTINGS_MODULE": "bench.settings_peers"} if kind in PEERS else {}),
                **env,
            },
            database_url=database_url,
        )

    @property
    def url(self):
        return self.site.url

    def start(self):
        self.site.migrate()
        if self.kind == "celery":
            self.site.spawn(
                "redis",
                [
                    "redis-server",
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.site.data_dir),
                ],
            )
            wait_for(lambda: "Ready to accept connections" in self.site.log("redis"), 20, message="redis-server")
            celery = [sys.executable, "-m", "celery", "-A", "bench.celery_app"]
            self.site.spawn("worker", [*celery, "worker", "--loglevel", "INFO"])
            if self.reconciler:
                beat = [*celery, "beat", "--loglevel", "INFO", "-s", str(self.site.data_dir / "beat")]
                self.site.spawn("beat", beat)
            wait_for(
                lambda: " ready." in self.site.log("worker"), 60, message=f"celery worker:\n{self.site.log('worker')}"
            )
        elif self.kind == "huey":
            if self.reconciler:
                self.site.start_consumer()
            else:
                self.site.spawn("consumer", [sys.executable, "manage.py", "run_huey", "-n"])
        elif self.kind in PEERS:
            self.start_worker()
        self.site.start_web("bench.wsgi:application")
        return self

    def start_worker(self):
        """The peer's worker, started the way its documentation says (and its reconciler, if asked)."""
        manage = [sys.executable, "manage.py"]
        if self.kind == "q2":
            self.site.spawn("worker", [*manage, "qcluster"])
            if self.reconciler:
                self.site.shell(RECONCILE_SCHEDULED)
        else:
            self.site.spawn("worker", [*manage, "db_worker"])
            if self.reconciler and "reconciler" not in self.site.processes:
                self.site.spawn("reconciler", [*manage, "shell", "-c", RECONCILE_LOOP])
        time.sleep(3)  # Django set-up in the worker.

    def stop(self):
        self.site.stop_all()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def services(self):
        """{service name: root pid} of what this stack runs."""
        return {name: process.pid for name, process in self.site.processes.items()}


def process_tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory_kib(pid):
    """(RSS, PSS) of one process in KiB; PSS shares pages fairly between forked workers."""
    try:
        rss = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        pss = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            if line.startswith("Pss:")
        )
    except (OSError, StopIteration):
        return 0, 0
    return rss, pss


def anon_kib(pid):
    """Anonymous (heap) RSS of one process in KiB: RSS without the database file pages SQLite maps in."""
    try:
        return next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("RssAnon:")
        )
    except (OSError, StopIteration):
        return 0


def cpu_seconds(pid):
    """User + system CPU time of a process and its children so far."""
    ticks = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def footprint(stack):
    """Per service: OS processes, RSS and PSS in MiB."""
    result = {}
    for name, pid in stack.services().items():
        pids = process_tree(pid)
        rss, pss = map(sum, zip(*(memory_kib(p) for p in pids), strict=True))
        result[name] = {"processes": len(pids), "rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)}
    return result
