"""
The raw SQL statements the ORM cannot say in one round trip, gathered here
and written once for both engines (SQLite 3.35+ and PostgreSQL both have
INSERT ... ON CONFLICT and RETURNING). Each is tested on both engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from django.db import connection

# What the statements here are given as column values.
Value = bool | int | float | str | date | datetime | None


def _where(columns: Mapping[str, Value]) -> str:
    return " AND ".join(f"{name} = %s" for name in columns)


def _marks(columns: Mapping[str, Value]) -> str:
    return ", ".join(["%s"] * len(columns))


def count_up_existing(*, table: str, column: str, key: Mapping[str, Value]) -> int | None:
    """Add one to `column` of the row of `table` with `key`; the new count, or None if there is no such row."""
    where = " AND ".join(f"{name} = %s" for name in key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 WHERE {where} RETURNING {column}", list(key.values())
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def count_up(*, table: str, column: str, key: Mapping[str, Value]) -> int:
    """
    Add one to `column` of the row of `table` whose unique columns are `key`,
    making the row at 1 if it is not there, and return the new count.

    UPDATE first: the row is there for all but the first hit, and an upsert
    that finds it still writes the id sequence's page. The upsert after it
    settles a race with another first hit through the unique constraint.
    """
    if (count := count_up_existing(table=table, column=column, key=key)) is not None:
        return count
    names = ", ".join(key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS counter ({names}, {column}) VALUES ({_marks(key)}, 1) "
            f"ON CONFLICT ({names}) DO UPDATE SET {column} = counter.{column} + 1 RETURNING {column}",
            list(key.values()),
        )
        return cursor.fetchone()[0]


def turn_take(*, table: str, name: str, interval: float, now: float) -> float:
    """
    Take the next turn on the pace row `name` (a unix time, spaced `interval`
    apart, never in the past) and return when it comes: one upsert, so every
    thread of every process shares the pace.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS pace (name, next_at) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET next_at = "
            "CASE WHEN pace.next_at > %s THEN pace.next_at ELSE %s END + %s RETURNING next_at",
            [name, now + interval, now, now, interval],
        )
        return cursor.fetchone()[0] - interval


def row_insert_once(*, table: str, values: Mapping[str, Value]) -> bool:
    """Insert the row unless one with the same unique columns exists; True if this call made it."""
    names = ", ".join(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES ({_marks(values)}) ON CONFLICT ({names}) DO NOTHING RETURNING 1",
            list(values.values()),
        )
        return cursor.fetchone() is not None


def row_exists(*, table: str, where: Mapping[str, Value]) -> bool:
    """Whether a row with these column values exists: one indexed read, for the hottest paths."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE {_where(where)} LIMIT 1",
            list(where.values()),
        )
        return cursor.fetchone() is not None
