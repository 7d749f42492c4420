"""Template context from the blog every page gets: the pages in the navigation, read only if a template asks."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from blog.models import Page

logger = logging.getLogger(__name__)


def navigation(request: HttpRequest) -> dict:
    # A page answered before any view (a 413 from the middleware, a 404) asks the database nothing.
    if getattr(request, "resolver_match", None) is None:
        return {"navigation_pages": []}
    return {"navigation_pages": SimpleLazyObject(lambda: _pages())}


def _pages() -> list[Page]:
    try:
        return list(Page.objects.in_navigation().only("title", "slug"))
    except DatabaseError as exc:  # The page still shows (a 503 saying the database is away, say).
        logger.warning("the navigation's pages could not be read: %s", exc)
        return []
