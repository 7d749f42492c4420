"""
Every migration must suit the code it replaces: `make upgrade` migrates while
the old release still serves, and restarts only afterwards (README,
"Upgrading"). So a new column needs a database default (old code's INSERTs
leave it out), and a column is dropped or renamed only in a release after
the one that stopped using it.
"""

import pytest
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

pytestmark = pytest.mark.django_db


def _problems(migration):
    for operation in migration.operations:
        if isinstance(operation, migrations.AddField):
            field = operation.field
            if not field.null and not field.many_to_many and field.db_default is NOT_PROVIDED:
                yield f"{operation.model_name}.{operation.name} is NOT NULL without db_default"
        elif isinstance(operation, (migrations.RemoveField, migrations.RenameField)) and not getattr(
            migration, "contract", ""
        ):
            yield f"{type(operation).__name__} {operation.model_name}.{operation.name} without a `contract` reason"


def _ours():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return {key: m for key, m in loader.disk_migrations.items() if key[0] in {"blog", "users", "site"}}


def test_every_migration_suits_the_running_release():
    problems = {f"{app}.{name}": list(_problems(m)) for (app, name), m in _ours().items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_rule_finds_a_column_the_old_code_cannot_insert():
    from django.db import models

    release = migrations.Migration("0099_example", "blog")
    release.operations = [
        migrations.AddField("post", "subtitle", models.CharField(max_length=20, default="")),
        migrations.AddField("post", "summary", models.CharField(max_length=20, db_default="")),
        migrations.AddField("post", "note", models.TextField(null=True)),
        migrations.RemoveField("post", "title"),
    ]
    assert list(_problems(release)) == [
        "post.subtitle is NOT NULL without db_default",
        "RemoveField post.title without a `contract` reason",
    ]
    release.contract = "release 7 stopped reading title"
    assert list(_problems(release)) == ["post.subtitle is NOT NULL without db_default"]
