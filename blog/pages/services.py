"""Writing the site's pages: addresses that never collide with the site's own, published by Editors."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.text import slugify

from blog.models import OldAddress, Page
from blog.models.pages import PAGE_SLUG_MAX_LENGTH
from site.pages import pages_changed
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

# Addresses the site may use one day, and those every site is asked for.
KEPT_FOR_LATER = frozenset(
    {
        ".well-known", "well-known", "api", "static", "media", "feeds", "login", "logout", "signup", "register",
        "settings", "favicon.ico", "robots.txt", "humans.txt", "ads.txt", "security.txt", "sitemap.xml", "atom.xml",
        "inbox", "outbox", "users", "nodeinfo", "webfinger", "page", "pages", "index", "www", "admin",
    }
)  # fmt: skip


class PageRefused(Exception):
    """The page cannot be saved (its address is taken or the site's own): nothing changed, the message says why."""


@functools.cache
def reserved() -> frozenset[str]:
    """Every first part of the site's own addresses (posts, tags, accounts, feed, …) and KEPT_FOR_LATER."""
    found: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for pattern in patterns:
            route = str(pattern.pattern).lstrip("^")
            first = re.split(r"[/<(\\[?$]", route, maxsplit=1)[0]
            if first:
                found.add(first.lower())
            elif isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)

    walk(get_resolver().url_patterns)
    # What the web process answers before any route: pictures and static files, wherever they are set.
    for prefix in (settings.MEDIA_URL, settings.STATIC_URL):
        if not urlsplit(prefix).scheme and (first := prefix.strip("/").split("/", 1)[0]):
            found.add(first.lower())
    return frozenset(found | KEPT_FOR_LATER)


def page_slug_clean(slug: str, *, title: str = "") -> str:
    """The address as kept (made from the title when empty); PageRefused for one of the site's own."""
    slug = slugify(slug or title, allow_unicode=True)[:PAGE_SLUG_MAX_LENGTH].strip("-")
    if not slug:
        raise PageRefused("Give the page an address with a letter or a digit in it, for example about.")
    if slug.lower() in reserved():
        raise PageRefused(f"/{slug}/ is one of the site's own addresses: choose another, for example about-{slug}.")
    if OldAddress.objects.filter(path__in=[f"/{slug}/", f"/{slug}"]).exists():
        raise PageRefused(f"/{slug}/ is an imported post's old address, which leads readers to it: choose another.")
    return slug


def _manager_check(by: User) -> None:
    if not roles.may_manage_pages(by):
        raise NotAllowed(f"{by} may not write the site's pages")


def page_save(
    *,
    by: User,
    page: Page | None = None,
    title: str,
    slug: str,
    content: str,
    published: bool,
    in_navigation: bool = True,
    navigation_order: int = 0,
) -> Page:
    """
    Write a page (a new one when `page` is None): published now or kept as
    a draft. Raises NotAllowed below Editors, PageRefused for an address
    the site uses or another page has, before writing anything.
    """
    _manager_check(by)
    page = page or Page(written_by=by)
    was_public = page.pk is not None and page.is_published
    page.title, page.content = title, content
    page.slug = page_slug_clean(slug, title=title)
    page.in_navigation, page.navigation_order = in_navigation, navigation_order
    if published and not page.is_published:
        page.published_at = timezone.now()
    elif not published:
        page.published_at = None
    if Page.objects.filter(slug=page.slug).exclude(pk=page.pk).exists():
        raise PageRefused(f"Another page has the address /{page.slug}/: choose another.")
    page.prepare()  # Rendering is CPU work: before the transaction.
    try:
        with transaction.atomic():
            page.save()
            if was_public or page.is_published:
                pages_changed()
    except IntegrityError as exc:  # The same address, taken meanwhile.
        raise PageRefused(f"Another page has the address /{page.slug}/: choose another.") from exc
    return page


def page_delete(*, by: User, page: Page) -> None:
    _manager_check(by)
    with transaction.atomic():
        public = page.is_published
        page.delete()
        if public:
            pages_changed()
