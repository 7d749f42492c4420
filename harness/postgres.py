"""
A throwaway PostgreSQL server on loopback, for the suite and the benchmarks:
Debian's `postgresql` binaries, a fresh data folder in /tmp, a free port, run
as an unprivileged user (the `postgres` account when started as root, since
PostgreSQL refuses to run as root). Fast and unsafe settings (no fsync):
nothing here outlives the run.

    python -m harness.postgres -- pytest -m "not integration"

starts one, points DATABASE_URL at a database in it, runs the command, and
stops the server, passing on the command's exit status.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from harness.ports import free_port

USER = "qp"


def postgres_bin() -> Path:
    """Debian's server binaries (package `postgresql`), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise SystemExit("PostgreSQL's server is not installed: apt-get install postgresql (.ci/run does it for CI).")
    return Path(found[-1]).parent


class PostgresServer:
    """Start with `with PostgresServer() as server:`; `server.url(name)` after `server.create(name)`."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="qp-postgres-"))
        self.data = self.root / "data"
        self.process: subprocess.Popen | None = None
        self.run_as = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    def _as_owner(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        if self.run_as is not None:
            argv = ["runuser", "-u", self.run_as.pw_name, "--", *argv]
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> PostgresServer:
        if self.run_as is not None:
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)
        self._as_owner(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"]
        )
        argv = [
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
            "-k", str(self.root), "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=64MB",
        ]  # fmt: skip
        if self.run_as is not None:
            argv = ["runuser", "-u", self.run_as.pw_name, "--", *argv]
        log = open(self.root / "server.log", "w")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
        ).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start:\n{(self.root / 'server.log').read_text()}")
            time.sleep(0.1)
        return self

    def url(self, name: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{name}"

    def create(self, name: str) -> str:
        """A new empty database; returns its URL."""
        return database_create(self.url("postgres"), name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # Smart shutdown; then fast.
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def database_create(server_url: str, name: str) -> str:
    """A new, empty database `name` on the server `server_url` names; returns its URL."""
    parts = urlsplit(server_url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def database_fresh(base_url: str, prefix: str = "qp_live") -> str:
    """
    A new, empty database on the server `base_url` names (the one the suite
    runs on), for one live site; returns its URL. Left for the server's
    teardown to remove with the rest of its data folder.
    """
    return database_create(base_url, f"{prefix}_{uuid.uuid4().hex[:12]}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__)
        return 2
    with PostgresServer() as server:
        url = server.create("quick_publisher")
        print(f"PostgreSQL {server.bin.parts[-2]} on port {server.port}: DATABASE_URL={url}", flush=True)
        return subprocess.run(argv, env={**os.environ, "DATABASE_URL": url}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
