"""
The sitemap: an index (/sitemap.xml) of files of at most SITEMAP_URLS
addresses each (/sitemap-posts.xml?p=2), newest posts first, as search
engines read them (they take up to 50,000 a file; 5,000 keeps a file near
half a megabyte, kept whole by the page cache and sent in milliseconds,
where one of 50,000 took a worker seconds and 200 MiB). Items are values, not
rows: a file of 50,000 posts loaded every post's text before, over a gigabyte
per worker at 100,000 posts. Addresses are on SITE_URL whatever Host the
request came with, so one page has one address.
"""

import functools
import html
import re
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple, Protocol, cast
from urllib.parse import quote

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import QuerySet
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from blog.models import Page, Post, Tag, authors
from site.pages import keep_not

SITEMAP_URLS = 5_000
CHUNK = 2_000


class SiteSitemap(Sitemap):
    @property
    def limit(self) -> int:  # type: ignore[override]  # Read at use, so a test can make files small.
        return SITEMAP_URLS


class PostRow(Protocol):
    slug: str
    lastmod: datetime


class PostSitemap(SiteSitemap):
    def items(self) -> QuerySet:
        return (
            Post.objects.published()
            .order_by("-published_at", "-pk")
            .annotate(lastmod=Greatest("updated_at", "published_at"))
            .values_list("slug", "lastmod", named=True)
        )

    def location(self, item: PostRow) -> str:
        # reverse() for each of 50,000 posts took most of a file's time: the
        # same address, from the one reverse() of a placeholder.
        before, after = self._around_slug
        return before + quote(item.slug) + after  # As reverse() quotes a slug's letters.

    @functools.cached_property
    def _around_slug(self) -> tuple[str, str]:
        before, after = reverse("blog:post-detail", kwargs={"slug": "SLUG"}).split("SLUG")
        return before, after

    def lastmod(self, item: PostRow) -> datetime:
        return item.lastmod


class AuthorSitemap(SiteSitemap):
    def items(self) -> QuerySet:
        return authors().order_by("pk").values_list("pk", flat=True)

    def location(self, item: int) -> str:
        return reverse("blog:author-detail", kwargs={"pk": item})


class TagSitemap(SiteSitemap):
    def items(self) -> QuerySet:
        return Tag.objects.in_use().order_by("pk").values_list("slug", flat=True)

    def location(self, item: str) -> str:
        return reverse("blog:tag-detail", kwargs={"slug": item})


class PageSitemap(SiteSitemap):
    def items(self) -> QuerySet:
        return Page.objects.published().order_by("pk").values_list("slug", flat=True)

    def location(self, item: str) -> str:
        return reverse("page-detail", kwargs={"slug": item})


SITEMAPS = {"posts": PostSitemap, "authors": AuthorSitemap, "tags": TagSitemap, "pages": PageSitemap}


class SitemapIndexItem(NamedTuple):
    """A file in the index, as Django's sitemap_index.xml reads it (Django's own is typed last_mod: bool)."""

    location: str
    last_mod: datetime | None


def sitemap_section(request: HttpRequest, section: str) -> StreamingHttpResponse:
    """
    One file of a section (?p=2 for the second), written as text while it is
    sent: the template engine spent seconds on 50,000 addresses, and a worker
    held them all.
    """
    if section not in SITEMAPS:
        raise Http404
    sitemap = SITEMAPS[section]()
    if "p" in request.GET and not re.fullmatch(r"[1-9][0-9]{0,8}", request.GET["p"]):
        keep_not(request)  # ?p=01 or ?p=+1 is a file's page too, but only ?p=1 is kept.
    try:
        page = sitemap.paginator.page(request.GET.get("p", 1))
    except (EmptyPage, PageNotAnInteger) as exc:
        raise Http404 from exc
    lastmod_of = getattr(sitemap, "lastmod", None)

    def lines() -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        rows = cast(QuerySet, page.object_list)  # A slice of items(), a QuerySet in every section.
        chunk = []
        for item in rows.iterator(chunk_size=CHUNK):
            loc = html.escape(settings.SITE_URL + sitemap.location(item))
            lastmod = f"<lastmod>{lastmod_of(item):%Y-%m-%d}</lastmod>" if lastmod_of else ""
            chunk.append(f"<url><loc>{loc}</loc>{lastmod}</url>\n")
            if len(chunk) == CHUNK:  # A write per thousands of addresses, not per address.
                yield "".join(chunk)
                chunk.clear()
        yield "".join(chunk) + "</urlset>\n"

    # No Last-Modified: the newest post's date does not move when a post is
    # unpublished or deleted, and a crawler would keep a stale file.
    return StreamingHttpResponse(lines(), content_type="application/xml")


def sitemap_index(request: HttpRequest) -> TemplateResponse:
    """Every file of every section, on SITE_URL."""
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        url = settings.SITE_URL + reverse("blog:sitemap-section", kwargs={"section": section})
        # No <lastmod> per file: the newest post's date does not move when a
        # post is unpublished or deleted, and a crawler trusting it would keep
        # a stale file. The addresses inside carry their own.
        entries.append(SitemapIndexItem(url, None))
        entries += [SitemapIndexItem(f"{url}?p={page}", None) for page in range(2, sitemap.paginator.num_pages + 1)]
    return TemplateResponse(request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml")
