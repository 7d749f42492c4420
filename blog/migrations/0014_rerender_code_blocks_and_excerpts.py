# Code blocks became keyboard-scrollable (<pre tabindex="0">), pictures load
# lazily and excerpts keep list items and paragraphs apart: every post's
# stored rendering is made anew.

from django.db import migrations, transaction

from blog.rendering import render

BATCH = 200


def render_existing(apps, schema_editor):
    posts = apps.get_model("blog", "Post").objects.using(schema_editor.connection.alias)
    pks = list(posts.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = posts.filter(pk__in=pks[start : start + BATCH]).values_list("pk", "content")
        # Rendering is CPU work: done before the short write of each batch,
        # never while it holds the database (the migration is not atomic).
        rendered = [(pk, content, render(content)) for pk, content in batch]
        with transaction.atomic(using=schema_editor.connection.alias):
            for pk, content, result in rendered:
                posts.filter(pk=pk, content=content).update(
                    content_html=result.html, excerpt=result.excerpt, word_count=result.words
                )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("blog", "0013_post_published_id_order"),
    ]

    operations = [
        migrations.RunPython(render_existing, migrations.RunPython.noop, elidable=True),
    ]
