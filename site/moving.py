"""
Moving a site from SQLite to PostgreSQL: every table but those that only
hold processes and the day's visitor keys (`backup_omit`), copied with its
ids in one transaction, then checked row for row by count.

The queue is not copied: what it held is owed mail, whose rows move, and
the reconcilers queue every owed mail again within a minute of the first
consumer's start. Claims of the old consumers move too and are freed like
any quiet consumer's (site/claims.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DatabaseError, connections, models, transaction

from site.settings import database_from_url

TARGET = "move_target"
BATCH = 2000
# What `migrate` writes into an empty database itself: content types and
# permissions, and the role groups with their permissions (users.roles). The
# site's own rows replace them, in this order (what points at a row goes first).
MADE_BY_MIGRATE = ("auth.group_permissions", "auth.group", "auth.permission", "contenttypes.contenttype")


class MoveError(Exception):
    """A move that cannot go ahead, with a message for the operator; nothing was written."""


def moved_models() -> list[type[models.Model]]:
    """Every table Django manages, many-to-many tables included, but the ones a backup leaves out."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not getattr(model, "backup_omit", False)
    ]


def target_connect(url: str) -> None:
    """Make the PostgreSQL database at `url` Django's connection TARGET, beside the SQLite default."""
    if connections["default"].vendor != "sqlite":
        raise MoveError("This site already runs on PostgreSQL: unset DATABASE_URL to move from its SQLite file.")
    try:
        target = database_from_url(url)
    except Exception as exc:  # ImproperlyConfigured, with the reason and without the password.
        raise MoveError(str(exc)) from exc
    databases = {"default": dict(connections.settings["default"]), TARGET: target}
    connections.settings[TARGET] = connections.configure_settings(databases)[TARGET]


def _count(model: type[models.Model], using: str) -> int:
    return model._base_manager.using(using).count()


def target_occupied() -> list[str]:
    """Tables of the target that already hold rows migrations did not put there."""
    made_by_migrate = set(MADE_BY_MIGRATE)
    return [
        f"{model._meta.label_lower}: {count} rows"
        for model in moved_models()
        if model._meta.label_lower not in made_by_migrate and (count := _count(model, TARGET))
    ]


def _rows(model: type[models.Model]) -> Iterator[list[object]]:
    """The model's rows as the target stores them, converted by each field (bytes, booleans, times)."""
    fields = model._meta.concrete_fields
    target = connections[TARGET]
    values = model._base_manager.using("default").order_by("pk").values_list(*(f.attname for f in fields))
    for row in values.iterator(chunk_size=BATCH):
        yield [field.get_db_prep_save(value, connection=target) for field, value in zip(fields, row, strict=True)]


def _copy(model: type[models.Model]) -> int:
    target = connections[TARGET]
    quote = target.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in model._meta.concrete_fields)
    marks = ", ".join(["%s"] * len(model._meta.concrete_fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
    copied, batch = 0, list[list[Any]]()
    with target.cursor() as cursor:
        for row in _rows(model):
            batch.append(row)
            if len(batch) == BATCH:
                _insert(model, cursor, sql, batch)
                copied, batch = copied + len(batch), []
        if batch:
            _insert(model, cursor, sql, batch)
    return copied + len(batch)


def _insert(model: type[models.Model], cursor: Any, sql: str, batch: list[list[Any]]) -> None:  # noqa: ANN401
    """A batch at once; if the target refuses it, find the row and say which, with the target's reason."""
    try:
        with transaction.atomic(using=TARGET):  # A savepoint: the move's transaction goes on after a refusal.
            cursor.executemany(sql, batch)
        return
    except DatabaseError:
        pass
    key = [field.attname for field in model._meta.concrete_fields].index(model._meta.pk.attname)
    for row in batch:
        try:
            with transaction.atomic(using=TARGET):
                cursor.execute(sql, row)
        except DatabaseError as exc:
            reason = " ".join(str(exc).split())
            raise MoveError(
                f"{model._meta.db_table}, the row with {model._meta.pk.attname} {row[key]}: {reason}"
            ) from exc
    raise MoveError(f"{model._meta.db_table}: PostgreSQL refused a batch of {len(batch)} rows but took each alone")


def site_move(*, progress: Callable[[str], None]) -> list[tuple[str, int]]:
    """
    Copy every moved table from SQLite into the migrated, empty TARGET in one
    transaction (PostgreSQL checks the foreign keys at commit), set its id
    sequences past the copied ids, and check each table's count. Returns
    (table, rows) for each.
    """
    occupied = target_occupied()
    if occupied:
        raise MoveError(f"The PostgreSQL database already holds data ({', '.join(occupied)}); move into an empty one.")
    target, models_moved = connections[TARGET], moved_models()
    copied = []
    with transaction.atomic(using=TARGET):
        # migrate made its own content types, permissions and role groups,
        # perhaps with other ids than the rows that point at them here: the site's own go in.
        for label in MADE_BY_MIGRATE:
            apps.get_model(label)._base_manager.using(TARGET).all()._raw_delete(TARGET)
        for model in models_moved:
            rows = _copy(model)
            copied.append((model._meta.db_table, rows))
            progress(f"  {model._meta.db_table}: {rows} rows")
        with target.cursor() as cursor:
            for sql in target.ops.sequence_reset_sql(no_style(), models_moved):
                cursor.execute(sql)
    wrong = [
        f"{table}: {rows} copied, {there} there"
        for model, (table, rows) in zip(models_moved, copied, strict=True)
        if (there := _count(model, TARGET)) != rows
    ]
    if wrong:
        raise MoveError(f"The copy does not match the source: {'; '.join(wrong)}.")
    return copied
