"""
Template context from the blog every page gets, each read only if a
template asks: the pages in the navigation, the site's logo and icon.
"""

import logging

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from blog.models import Image, Page
from site.context import site_settings_of

logger = logging.getLogger(__name__)


def navigation(request: HttpRequest) -> dict:
    if getattr(request, "answered_early", False):  # Refused before anything read it: no query (site.middleware).
        return {"navigation_pages": [], "site_logo": None, "site_icon": None}
    return {
        "navigation_pages": SimpleLazyObject(lambda: _pages()),
        "site_logo": SimpleLazyObject(lambda: _picture(site_settings_of(request).logo)),
        "site_icon": SimpleLazyObject(lambda: _picture(site_settings_of(request).icon)),
    }


def _picture(name: str) -> Image | None:
    if not name:
        return None
    try:
        return Image.objects.filter(file=name).first()
    except DatabaseError as exc:
        logger.warning("the site's pictures could not be read: %s", exc)
        return None


def _pages() -> list[Page]:
    try:
        return list(Page.objects.in_navigation().only("title", "slug"))
    except DatabaseError as exc:  # The page still shows (a 503 saying the database is away, say).
        logger.warning("the navigation's pages could not be read: %s", exc)
        return []
