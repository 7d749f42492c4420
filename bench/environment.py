"""What the benchmarks ran on, and the costs that are not timings: hashing, install size."""

import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _version(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def describe():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    versions = {
        name: importlib.metadata.version(name) for name in ("Django", "huey", "gunicorn", "celery", "redis", "kombu")
    }
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": __import__("sqlite3").sqlite_version,
        "redis_server": _version(["redis-server", "--version"]),
        "wrk": _version(["wrk", "--version"]),
        **versions,
    }


def password_hashing(rounds=10):
    """Median ms of one production password hash (what every signup pays)."""
    code = (
        "import statistics, time\n"
        "from django.contrib.auth.hashers import make_password\n"
        "t = []\n"
        f"for _ in range({rounds}):\n"
        "    s = time.perf_counter(); make_password('pw-long-enough-1'); t.append(time.perf_counter() - s)\n"
        "print(round(statistics.median(t) * 1000, 1))"
    )
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATA_DIR": "/tmp"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {"p50_ms": float(out.stdout.strip().splitlines()[-1])}


def _closure(names):
    seen, todo = set(), list(names)
    while todo:
        name = re.split(r"[ ;\[<>=!~]", todo.pop(), maxsplit=1)[0].lower()
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        todo.extend(req for req in (dist.requires or []) if "extra ==" not in req or "redis" in req)
    return seen


def _size(names):
    total = 0
    for name in names:
        for file in importlib.metadata.distribution(name).files or []:
            path = file.locate()
            if path.is_file():
                total += path.stat().st_size
    return total


def install_sizes():
    """MiB on disk: the product's Python packages; what Celery + Redis add on top."""
    product = _closure(["Django", "huey", "gunicorn", "whitenoise"])
    celery = _closure(["celery", "redis"]) - product
    debian = 0
    for package in ("redis-server", "redis-tools"):
        out = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}", package], capture_output=True, text=True)
        debian += int(out.stdout or 0) * 1024
    return {
        "product_mib": round(_size(product) / 2**20, 1),
        "celery_python_mib": round(_size(celery) / 2**20, 1),
        "redis_debian_mib": round(debian / 2**20, 1),
        "celery_packages": sorted(celery),
    }
