# Full-text search: one row of title and text a post, and the engine's own
# index on it. SQLite: an FTS5 table over blog_postsearch (external content,
# kept by triggers; Porter stemming, accents folded). PostgreSQL: a stored
# tsvector column (title weighted above text, English stemming) under a GIN
# index. Atomic: all of it or none; 0016 fills it.

import django.db.models.deletion
from django.db import migrations, models

SQLITE = [
    "CREATE VIRTUAL TABLE blog_postsearch_fts USING fts5(title, body, content='blog_postsearch',"
    " content_rowid='post_id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER blog_postsearch_ai AFTER INSERT ON blog_postsearch BEGIN"
    " INSERT INTO blog_postsearch_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
    "CREATE TRIGGER blog_postsearch_ad AFTER DELETE ON blog_postsearch BEGIN"
    " INSERT INTO blog_postsearch_fts(blog_postsearch_fts, rowid, title, body)"
    " VALUES ('delete', old.post_id, old.title, old.body); END",
    "CREATE TRIGGER blog_postsearch_au AFTER UPDATE ON blog_postsearch BEGIN"
    " INSERT INTO blog_postsearch_fts(blog_postsearch_fts, rowid, title, body)"
    " VALUES ('delete', old.post_id, old.title, old.body);"
    " INSERT INTO blog_postsearch_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS blog_postsearch_au",
    "DROP TRIGGER IF EXISTS blog_postsearch_ad",
    "DROP TRIGGER IF EXISTS blog_postsearch_ai",
    "DROP TABLE IF EXISTS blog_postsearch_fts",
]
POSTGRESQL = [
    "ALTER TABLE blog_postsearch ADD COLUMN document tsvector GENERATED ALWAYS AS"
    " (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED",
    "CREATE INDEX blog_postsearch_document ON blog_postsearch USING GIN (document)",
]
POSTGRESQL_BACK = ["DROP INDEX IF EXISTS blog_postsearch_document", "ALTER TABLE blog_postsearch DROP COLUMN document"]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def index_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, []))


def index_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE_BACK, "postgresql": POSTGRESQL_BACK}.get(vendor, []))


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0014_rerender_code_blocks_and_excerpts"),
    ]

    operations = [
        migrations.CreateModel(
            name="PostSearch",
            fields=[
                (
                    "post",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        db_constraint=False,
                        to="blog.post",
                    ),
                ),
                ("title", models.CharField(max_length=300)),
                ("body", models.TextField()),
            ],
            options={
                "verbose_name": "post's search text",
                "verbose_name_plural": "posts' search text",
                "ordering": ["post"],
            },
        ),
        migrations.RunPython(index_create, index_drop),
    ]
