"""
Writing a site's rows straight into its database for the benchmarks at
scale, SQLite or PostgreSQL: the ORM would take minutes.
"""

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import psycopg


class Filler:
    """One connection to a migrated site's database; statements are written with `?` for either engine."""

    def __init__(self, *, db_path: Path | None = None, database_url: str = "") -> None:
        self.postgres = bool(database_url)
        if self.postgres:
            self.conn = psycopg.connect(database_url)
        else:
            self.conn = connect(db_path)

    def stamp(self, text: str) -> str:
        """A 'YYYY-MM-DD HH:MM:SS' time in UTC as the engine's Django column expects it."""
        return text + "+00:00" if self.postgres else text

    def many(self, sql: str, rows: Iterable[tuple]) -> None:
        if self.postgres:
            with self.conn.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
        else:
            self.conn.executemany(sql, rows)

    def done(self, tables: Iterable[str]) -> None:
        """Commit, move the id sequences past the rows written (PostgreSQL), refresh the planner's statistics."""
        if self.postgres:
            with self.conn.cursor() as cursor:
                for table in tables:
                    cursor.execute(
                        f"select setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) from {table}"
                    )
            self.conn.commit()
            self.conn.execute("analyze")
        else:
            self.conn.commit()
            self.conn.execute("ANALYZE")
        self.conn.close()


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous=OFF")  # A throw-away database: a crash loses nothing worth keeping.
    return conn


AUTHORS_SQL = (
    "insert into users_user (id, password, is_superuser, email, display_name, is_verified, is_staff,"
    " is_active, date_joined) values (?, '!', false, ?, ?, true, false, true, ?)"
)


def author_rows(count: int, stamp: str, *, named: bool = False) -> Iterable[tuple]:
    """Verified, active accounts 1..count, author<n>@bench.example, "Author <n>" when `named`."""
    return ((n, f"author{n}@bench.example", f"Author {n}" if named else "", stamp) for n in range(1, count + 1))


def authors_insert(conn: sqlite3.Connection, count: int, stamp: str, *, named: bool = False) -> None:
    conn.executemany(AUTHORS_SQL, author_rows(count, stamp, named=named))
