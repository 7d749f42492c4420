"""Writing a site's rows straight into SQLite for the benchmarks at scale: the ORM would take minutes."""

import sqlite3
from pathlib import Path


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous=OFF")  # A throw-away database: a crash loses nothing worth keeping.
    return conn


def authors_insert(conn: sqlite3.Connection, count: int, stamp: str, *, named: bool = False) -> None:
    """Verified, active accounts 1..count, author<n>@bench.example, "Author <n>" when `named`."""
    conn.executemany(
        "insert into users_user (id, password, is_superuser, email, display_name, is_verified, is_staff,"
        " is_active, date_joined) values (?, '!', 0, ?, ?, 1, 0, 1, ?)",
        ((n, f"author{n}@bench.example", f"Author {n}" if named else "", stamp) for n in range(1, count + 1)),
    )
