"""
Lists of posts a page at a time by keyset: "older than this post" (named by
its address), never "skip the first N". A page walks the (published_at, id) index from where the
last one stopped, and nothing counts every post: at 100,000 posts a numbered
last page read every row before it, and every page counted them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db.models import Q, QuerySet
from django.views.generic import ListView

from blog.models import SLUG_MAX_LENGTH, Post

PER_PAGE = 10


def cursor_of(post: Post) -> str:
    """
    Where a page stops: the post's address. (Its publish time and id would
    do without a lookup, but ids are private: gaps between them would count
    the drafts and scheduled posts between two published ones.)
    """
    return post.slug


def _position(posts: QuerySet[Post], cursor: str | None) -> tuple[datetime, int] | None:
    """The (published_at, id) of the listed post at `cursor`, or None for no such post."""
    if not cursor or len(cursor) > SLUG_MAX_LENGTH:
        return None
    found = posts.filter(slug=cursor).values_list("published_at", "pk").first()
    return (found[0], found[1]) if found and found[0] is not None else None  # Listed posts are published.


@dataclass(frozen=True)
class KeysetPage:
    posts: list[Post]
    newer: str  # The cursor of the page before this one (newer posts), "" on the first.
    older: str  # The cursor of the page after this one, "" on the last.

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def keyset_page(posts: QuerySet[Post], *, older: str | None, newer: str | None, per_page: int = PER_PAGE) -> KeysetPage:
    """
    The page of `posts` just older than the cursor `older`, or just newer than
    `newer`, or the newest; a cursor naming no listed post is the newest page.
    """
    # published_at <= t narrows to an index range; the tie on t is settled by
    # id inside it. (An OR of the two alone would walk the index from the top.)
    if at := _position(posts, newer):
        moment, pk = at
        after = posts.filter(published_at__gte=moment).filter(Q(published_at__gt=moment) | Q(pk__gt=pk))
        found = list(after.order_by("published_at", "id")[: per_page + 1])
        more_newer = len(found) > per_page
        page = list(reversed(found[:per_page]))
        return KeysetPage(page, cursor_of(page[0]) if more_newer and page else "", cursor_of(page[-1]) if page else "")
    if at := _position(posts, older):
        moment, pk = at
        posts = posts.filter(published_at__lte=moment).filter(Q(published_at__lt=moment) | Q(pk__lt=pk))
    found = list(posts.order_by("-published_at", "-id")[: per_page + 1])
    page = found[:per_page]
    newer_cursor = cursor_of(page[0]) if at and page else ""
    return KeysetPage(page, newer_cursor, cursor_of(page[-1]) if len(found) > per_page else "")


class KeysetListView(ListView):
    """A ListView of published posts, newest first, a keyset page at a time (?older=… / ?newer=…)."""

    context_object_name = "post_list"
    paginate_by = None

    def get_context_data(self, **kwargs: object) -> dict:
        posts = cast(QuerySet[Post], self.object_list)  # get_queryset()'s, as ListView.get() set it.
        page = keyset_page(posts, older=self.request.GET.get("older"), newer=self.request.GET.get("newer"))
        return super().get_context_data(object_list=page.posts, page=page, **kwargs)
