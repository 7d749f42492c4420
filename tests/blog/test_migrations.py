import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.connection import ConnectionDoesNotExist


@pytest.mark.django_db(transaction=True)
def test_existing_drafts_get_private_addresses_and_published_posts_keep_theirs():
    executor = MigrationExecutor(connection)
    executor.migrate([("blog", "0001_initial")])
    old = executor.loader.project_state([("blog", "0001_initial")]).apps
    author = old.get_model("users", "User").objects.create(email="a@x.org", password="!")
    Post = old.get_model("blog", "Post")
    Post.objects.create(author=author, title="Secret plan", slug="secret-plan", content="x", published_at=None)
    Post.objects.create(author=author, title="Public", slug="public", content="x")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps.get_model("blog", "Post")
    slugs = dict(new.objects.values_list("title", "slug"))
    assert slugs["Public"] == "public"
    assert slugs["Secret plan"].startswith("_") and "secret" not in slugs["Secret plan"]


@pytest.mark.django_db(transaction=True)
def test_stored_renderings_are_made_anew_with_scrollable_code_and_whole_excerpts():
    executor = MigrationExecutor(connection)
    executor.migrate([("blog", "0013_post_published_id_order")])
    old = executor.loader.project_state([("blog", "0013_post_published_id_order")]).apps
    author = old.get_model("users", "User").objects.create(email="a@x.org", password="!")
    content = "Intro:\n\n- one\n- two\n\n```\ncode\n```\n\n![a](https://img.example/a.png)"
    old.get_model("blog", "Post").objects.create(
        author=author, title="T", slug="t", content=content, content_html="<pre><code>x</code></pre>", excerpt="Intro:"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    post = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps.get_model("blog", "Post")
    post = post.objects.get(slug="t")
    assert '<pre tabindex="0"><code>code' in post.content_html
    assert '<img loading="lazy" decoding="async" src="https://img.example/a.png"' in post.content_html
    assert post.excerpt == "Intro: one · two"


@pytest.mark.django_db(transaction=True)
def test_existing_posts_are_indexed_for_search_when_it_arrives():
    executor = MigrationExecutor(connection)
    executor.migrate([("blog", "0014_rerender_code_blocks_and_excerpts")])
    old = executor.loader.project_state([("blog", "0014_rerender_code_blocks_and_excerpts")]).apps
    author = old.get_model("users", "User").objects.create(email="a@x.org", password="!", is_active=True)
    old.get_model("blog", "Post").objects.create(
        author=author, title="Old post", slug="old", content="About **pelicans**."
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from blog.search import posts_search

    assert [found.post.slug for found in posts_search(query="pelican").results] == ["old"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("module", "function"),
    [
        ("0002_private_draft_slugs", "drafts_get_private_slugs"),
        ("0005_markdown_tags", "render_existing"),
        ("0008_subscriptions", "posts_published_before_subscriptions"),
        ("0014_rerender_code_blocks_and_excerpts", "render_existing"),
        ("0016_posts_indexed", "posts_index"),
    ],
)
def test_data_migrations_touch_only_the_database_being_migrated(module, function):
    # move_to_postgres migrates a second database while the first is configured.
    forward = getattr(importlib.import_module(f"blog.migrations.{module}"), function)
    editor = SimpleNamespace(connection=SimpleNamespace(alias="being-migrated"))
    with pytest.raises(ConnectionDoesNotExist, match="being-migrated"):
        forward(django_apps, editor)
