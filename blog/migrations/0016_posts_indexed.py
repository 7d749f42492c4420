# Existing posts into the search index, in batches of at most BATCH_CHARS of
# text: rendered before each batch's short write, never inside it (the
# migration is not atomic). A second run (after an interrupted one) adds
# only what is missing.

from django.db import migrations, transaction

from blog.models.search import indexable
from blog.rendering import render

BATCH_POSTS = 200
BATCH_CHARS = 2_000_000


def posts_index(apps, schema_editor):
    alias = schema_editor.connection.alias
    posts = apps.get_model("blog", "Post").objects.using(alias)
    searches = apps.get_model("blog", "PostSearch").objects.using(alias)
    indexed = set(searches.values_list("post_id", flat=True))
    pks = [pk for pk in posts.order_by("pk").values_list("pk", flat=True) if pk not in indexed]
    rows, size = [], 0
    for start in range(0, len(pks), BATCH_POSTS):
        for pk, title, content in posts.filter(pk__in=pks[start : start + BATCH_POSTS]).values_list(
            "pk", "title", "content"
        ):
            text = indexable(render(content).text)
            rows.append(searches.model(post_id=pk, title=indexable(title), body=text))
            size += len(text)
            if size >= BATCH_CHARS:
                _write(searches, rows, alias)
                rows, size = [], 0
        _write(searches, rows, alias)
        rows, size = [], 0


def _write(searches, rows, alias):
    if rows:
        with transaction.atomic(using=alias):
            searches.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("blog", "0015_postsearch"),
    ]

    operations = [
        migrations.RunPython(posts_index, migrations.RunPython.noop, elidable=True),
    ]
