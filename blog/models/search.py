"""
What full-text search reads: a post's title and its text (the rendered
post without markup), one row a post. The engine's own index sits on this
table (blog/migrations/0015_postsearch.py): SQLite's FTS5, kept by triggers,
or a PostgreSQL tsvector column with a GIN index. blog/search.py asks it.
"""

from typing import Any, Protocol

from django.db import models

from blog.rendering import render


class Searchable(Protocol):
    """What the index reads of a post (blog.models.posts imports this module, not the other way)."""

    pk: Any
    title: str
    content: str
    markup: str


# Snippet markers (blog/search.py), never part of a post's indexed text.
_MARKERS = str.maketrans("", "", "\ue000\ue001")


def indexable(text: str) -> str:
    """Text as the index keeps it: without the snippet markers, so a post cannot forge highlighting."""
    return text.translate(_MARKERS)


class PostSearch(models.Model):
    """
    A migration that changes this table must keep its index: on SQLite,
    Django rebuilds a changed table and the FTS5 triggers go with the old one
    (recreate them, then rebuild the FTS5 table); on PostgreSQL, the stored
    `document` column must be dropped and added again around the change.
    """

    # No foreign key in the database: the release still serving during an
    # upgrade deletes posts without knowing of this table, and an orphan row
    # is harmless (a search asks of each match whether its post is public).
    post = models.OneToOneField(
        "blog.Post", on_delete=models.CASCADE, primary_key=True, related_name="search", db_constraint=False
    )
    title = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        ordering = ["post"]
        verbose_name = "post's search text"
        verbose_name_plural = "posts' search text"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url()

    @classmethod
    def keep(cls, post: Searchable) -> None:
        """
        The post's row as it now is (Post.save calls it after every save that
        may change the title or text). The text comes from the rendering the
        save already made before its transaction; a title-only change writes
        the title alone.
        """
        text = getattr(post, "_search_text", None)
        if text is None and cls.objects.filter(post_id=post.pk).update(title=indexable(post.title)):
            return
        if text is None:  # No row yet, for a post saved without rendering (rare).
            text = render(post.content, markup=post.markup).text
        title, text = indexable(post.title), indexable(text)
        cls.objects.update_or_create(post_id=post.pk, defaults={"title": title, "body": text})
