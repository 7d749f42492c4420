"""
Lists of posts a page at a time by keyset: "older than this post" (named by
its address), never "skip the first N". A page walks the (published_at, id) index from where the
last one stopped, and nothing counts every post: at 100,000 posts a numbered
last page read every row before it, and every page counted them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet
from django.views.generic import ListView

from blog.models import SLUG_MAX_LENGTH, Post
from site import pages
from site.models import site_settings

PER_PAGE = 10
MAX_ID = 2**63 - 1


_CURSOR = re.compile(r"^([0-9]{1,17})\.(.{1,%d})$" % SLUG_MAX_LENGTH, re.S)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(post: Post) -> str:
    """
    Where a page stops: the post's publish time (in microseconds since 1970)
    and its address, both public. Not its id: gaps between ids would count
    the drafts and scheduled posts between two published ones.
    """
    assert post.published_at is not None
    return _cursor(post.published_at, post.slug)


def _cursor(published_at: datetime, slug: str) -> str:
    return f"{(published_at - _EPOCH) // timedelta(microseconds=1)}.{slug}"


@dataclass(frozen=True)
class _Position:
    moment: datetime
    pk: int | None  # None when its post has since been deleted: the time still says where the page ended.
    linked: bool  # The cursor is exactly the one a page link names (its post's time and address, as written).


def _position(cursor: str | None) -> _Position | None:
    """The (published_at, id) a cursor stands for, with its post read once; None for a cursor that does not parse."""
    found = _CURSOR.match(cursor or "")
    if not found:
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=int(found[1]))
    except OverflowError:
        return None
    # Its row, published or since unpublished, settles ties at that time.
    row = Post.objects.filter(slug=found[2]).values_list("pk", "published_at").first()
    if row is None:
        return _Position(moment, None, linked=False)
    pk, published_at = row
    return _Position(moment, pk, linked=published_at is not None and _cursor(published_at, found[2]) == cursor)


@dataclass(frozen=True)
class KeysetPage:
    posts: list[Post]
    newer: str  # The cursor of the page before this one (newer posts), "" on the first.
    older: str  # The cursor of the page after this one, "" on the last.
    # Read from no cursor, or from exactly one a page link names: the page's own address.
    linked: bool = True

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def keyset_page(posts: QuerySet[Post], *, older: str | None, newer: str | None, per_page: int = PER_PAGE) -> KeysetPage:
    """
    The page of `posts` just older than the cursor `older`, or just newer than
    `newer`, or the newest; a cursor that does not parse is the newest page.
    """
    # published_at <= t narrows to an index range; the tie on t is settled by
    # id inside it. (An OR of the two alone would walk the index from the top.)
    if at := _position(newer):
        moment, pk = at.moment, at.pk
        after = posts.filter(published_at__gte=moment).filter(Q(published_at__gt=moment) | Q(pk__gt=pk or MAX_ID))
        found = list(after.order_by("published_at", "id")[: per_page + 1])
        more_newer = len(found) > per_page
        page = list(reversed(found[:per_page]))
        return KeysetPage(
            page,
            cursor_of(page[0]) if more_newer and page else "",
            cursor_of(page[-1]) if page else "",
            linked=at.linked and older is None,
        )
    if at := _position(older):
        posts = posts.filter(published_at__lte=at.moment).filter(Q(published_at__lt=at.moment) | Q(pk__lt=at.pk or 0))
    found = list(posts.order_by("-published_at", "-id")[: per_page + 1])
    page = found[:per_page]
    newer_cursor = cursor_of(page[0]) if at and page else ""
    linked = at.linked and newer is None if at else older is None and newer is None
    return KeysetPage(page, newer_cursor, cursor_of(page[-1]) if len(found) > per_page else "", linked=linked)


class KeysetListView(ListView):
    """A ListView of published posts, newest first, a keyset page at a time (?older=… / ?newer=…)."""

    context_object_name = "post_list"
    paginate_by = None

    def canonical_path(self) -> str:
        """The list's one address (/authors/01/ is /authors/1/'s list too, under another)."""
        raise NotImplementedError

    def get_context_data(self, **kwargs: object) -> dict:
        posts = cast(QuerySet[Post], self.object_list)  # get_queryset()'s, as ListView.get() set it.
        page = keyset_page(
            posts,
            older=self.request.GET.get("older"),
            newer=self.request.GET.get("newer"),
            per_page=site_settings().posts_per_page,
        )
        if not page.linked:
            pages.keep_not(self.request)  # Not a page's own address: answered, never kept.
        canonical_url = settings.SITE_URL + self.canonical_path()
        cursor = next(((key, self.request.GET[key]) for key in ("older", "newer") if key in self.request.GET), None)
        if cursor and page.linked:
            canonical_url += "?" + urlencode([cursor])
        return super().get_context_data(object_list=page.posts, page=page, canonical_url=canonical_url, **kwargs)
