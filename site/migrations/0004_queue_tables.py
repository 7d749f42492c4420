"""
Huey's PostgreSQL tables (huey_kv, huey_schedule, huey_task, huey_counter),
made here rather than by Huey at import (site.queue.QueuePostgresStorage):
the DDL of huey 3.5's PostgresStorage, frozen. Nothing on SQLite, whose
queue is its own file.
"""

from django.db import migrations

TABLES = [
    "create table if not exists huey_kv (queue text not null, key text not null, value bytea not null, "
    "primary key(queue, key))",
    "create table if not exists huey_schedule (id bigserial primary key, queue text not null, "
    "data bytea not null, timestamp double precision not null)",
    "create index if not exists huey_schedule_queue_timestamp on huey_schedule (queue, timestamp)",
    "create table if not exists huey_task (id bigserial primary key, queue text not null, "
    "data bytea not null, priority double precision not null default 0.0)",
    "create index if not exists huey_task_queue_priority_id on huey_task (queue, priority desc, id)",
    "create table if not exists huey_counter (queue text not null, key text not null, "
    "value bigint not null default 0, primary key(queue, key))",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in TABLES:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("drop table if exists huey_kv, huey_schedule, huey_task, huey_counter")


class Migration(migrations.Migration):
    dependencies = [("site", "0003_consumers")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
