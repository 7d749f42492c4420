"""
The page cache: what an anonymous reader sees (the front, tag, author and
post pages, feeds, sitemaps, robots.txt), kept whole in the "pages" cache
that every worker shares, and answered from there before sessions, CSRF or
the database are looked at.

A page is kept only when its view says it is the same for every anonymous
reader (`kept`), and served only to a GET with no session or messages
cookie: anyone logged in (or carrying a message) gets a page made for them,
with their own CSRF token, and that page is never kept.

Invalidation is by generation: every kept page carries the site's
generation it was made in, read with it in one look-up, and any change that
shows on a public page calls `pages_changed()`, which gives the site a new
one, so every kept page is forgotten at once by every worker (and made
again by the next reader). It changes the generation at once and again once
the change commits: a reader between the two could otherwise keep the page
as it was before the commit under the new generation.

Reads are counted before the cache: a kept post page remembers the post, and
serving it counts the read exactly as the view would (`on_hit`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import BaseCache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import set_response_etag

from site.storage import write_failure_log

GENERATION_KEY = "pages:generation"
# Parameters a kept page may differ by, once each, and only on the views
# that read them (`kept(view, parameters=...)`), and only values the view
# found canonical (`keep_not`); a page asked for with any other (bar utm_*,
# which only say where a reader came from) is made afresh and not kept, so
# made-up query strings cannot fill the cache or the disk.
KEPT_PARAMETERS = frozenset({"older", "newer", "p"})
# A bigger answer is sent, not kept.
KEPT_MAX_BYTES = 2 * 1024 * 1024
# Headers that belong to one response, never to a copy served later.
_NOT_KEPT_HEADERS = {"set-cookie", "date", "etag"}

Hit = Callable[[HttpRequest, int], None]
T = TypeVar("T")
_hits: dict[str, Hit] = {}


def on_hit(name: str) -> Callable[[Hit], Hit]:
    """Register what serving a kept page does besides answering, e.g. counting a read (blog.readers)."""

    def register(function: Hit) -> Hit:
        _hits[name] = function
        return function

    return register


def _cache() -> BaseCache:
    return caches["pages"]


def _safely(action: Callable[[], T], default: T) -> T:
    """
    A cache that cannot be read or written (a full disk, its database away)
    never breaks a page: the page is made afresh and not kept, one log line
    a minute says why.
    """
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 (whatever the backend raises)
        write_failure_log("kept pages", exc)
        return default


def generation() -> str | None:
    """The site's current generation; a new one if the cache has none (cleared, or first start); None if it fails."""

    def read_or_start() -> str | None:
        cache = _cache()
        current = cache.get(GENERATION_KEY)
        if current is None:
            cache.add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
            current = cache.get(GENERATION_KEY)
        return current

    return _safely(read_or_start, None)


def _generation_set() -> bool:
    """Write a new generation, and read it back: the database cache swallows its own write errors."""
    token = secrets.token_hex(8)
    _cache().set(GENERATION_KEY, token, timeout=None)
    return _cache().get(GENERATION_KEY) == token


def _generation_delete() -> bool:
    _cache().delete(GENERATION_KEY)
    return True


class _NotWritten(Exception):
    pass


def _in_savepoint(action: Callable[[], bool]) -> bool:
    """
    Run `action` in a savepoint of the caller's transaction (the database
    cache's table is reached through it): on failure only the savepoint is
    rolled back, never the caller's change.
    """
    try:
        with transaction.atomic():
            if not action():
                raise _NotWritten("the page cache's generation did not change")
    except Exception as exc:  # noqa: BLE001 (whatever the backend raises)
        write_failure_log("kept pages", exc)
        return False
    return True


def _generation_new() -> None:
    in_callers_transaction = settings.PAGE_CACHE == "database" and transaction.get_connection().in_atomic_block
    attempt = _in_savepoint if in_callers_transaction else lambda action: _safely(action, False)
    # If a new generation cannot be written, none at all: deleting works
    # even on a full disk, and no generation means no page is served kept.
    if not attempt(_generation_set):
        attempt(_generation_delete)


def clock_read(name: str) -> datetime | None:
    """
    The time `clock_write` last stored under `name` (None if none, or
    unreadable): for a job that forgets pages when a time passed since its
    last run (blog.services.posts_release).
    """
    last = _safely(lambda: _cache().get(f"pages:clock:{name}"), None)
    return last if isinstance(last, datetime) else None


def clock_write(name: str, now: datetime) -> None:
    _safely(lambda: _cache().set(f"pages:clock:{name}", now, timeout=None), None)


def pages_forget_all() -> None:
    """
    Forget every kept page now (outside any change): at the web server's start,
    since the database may have been restored from a backup or changed by a
    command while the site was down.
    """
    _generation_new()


def pages_changed() -> None:
    """
    Something public changed: every kept page is forgotten, now and again
    when the change commits (before any later on-commit work, which may fail).
    Call it inside the change's transaction.
    """
    _generation_new()
    transaction.on_commit(_generation_new, robust=True)


def kept(
    view: Callable[..., HttpResponseBase], *, parameters: frozenset[str] = frozenset()
) -> Callable[..., HttpResponseBase]:
    """
    Mark a view's successful answers to anonymous readers as the same for all
    of them (kept by PageCache), when asked with no query parameters but
    `parameters` (each once) and utm_*.
    """

    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        names = [name for name in request.GET if not name.startswith("utm_")]
        once = all(len(request.GET.getlist(name)) == 1 for name in names)
        response.page_kept = once and set(names) <= parameters  # type: ignore[attr-defined]
        return response

    wrapped.__name__ = getattr(view, "__name__", "view")
    wrapped.__doc__ = view.__doc__
    return wrapped


def keep_not(request: HttpRequest) -> None:
    """This answer is not the page its address names (a cursor that does not parse, say): made, not kept."""
    request.page_not_kept = True  # type: ignore[attr-defined]


def hit_set(request: HttpRequest, name: str, argument: int) -> None:
    """Ask that serving this request's page from the cache later also runs the hook `name` with `argument`."""
    request.page_hit = (name, argument)  # type: ignore[attr-defined]


@dataclass
class Kept:
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    hit: tuple[str, int] | None = None
    etag: str = field(default="")
    generation: str = field(default="")  # The site's generation it was made in; any other is forgotten.

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response.headers[name] = value
        if self.etag:
            response.headers["ETag"] = self.etag
        return response


def _key(request: HttpRequest) -> str | None:
    """The page's key, or None when the page may not come from the cache."""
    if request.method != "GET":
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    if "json" in request.META.get("HTTP_ACCEPT", "").lower():
        return None  # Another document at the same address (an author's actor): made for its asker.
    parameters = []
    for name, values in request.GET.lists():
        if name in KEPT_PARAMETERS and len(values) == 1:
            parameters.append((name, values[0]))
        elif not name.startswith("utm_"):
            return None
    query = urlencode(sorted(parameters))
    # The scheme and host too: a page's absolute addresses come from
    # SITE_URL, but nothing is lost by never serving one's copy to another.
    address = f"{request.scheme}://{request.get_host()}\n{request.path}\n{query}".encode("utf-8", "surrogatepass")
    return f"page:{hashlib.sha256(address).hexdigest()}"


def _lookup(key: str) -> tuple[str | None, Kept | None]:
    """
    The current generation and the page kept under `key` if it was made in
    that generation, read together (one query when the cache is a table).
    """
    found: dict[str, object] = _safely(lambda: _cache().get_many([GENERATION_KEY, key]), {})
    current = found.get(GENERATION_KEY)
    if not isinstance(current, str):
        return generation(), None
    page = found.get(key)
    return current, page if isinstance(page, Kept) and page.generation == current else None


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    user = getattr(request, "user", None)
    return (
        getattr(response, "page_kept", False)
        and not getattr(request, "page_not_kept", False)
        and response.status_code == 200
        and not response.cookies
        and not (user is not None and user.is_authenticated)
        and "no-store" not in response.get("Cache-Control", "")
        and "private" not in response.get("Cache-Control", "")
    )


def _kept_from(request: HttpRequest, response: HttpResponse, generation: str) -> tuple[Kept, HttpResponse]:
    """What to keep of `response` made in `generation`, and the response to send (a streamed one is sent whole)."""
    if isinstance(response, StreamingHttpResponse):
        whole = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
        for name, value in response.headers.items():
            whole.headers[name] = value
        # Not closed here: closing a response is the end of the request
        # (request_finished), which the server signals once, for `whole`.
        response = whole
    set_response_etag(response)
    headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _NOT_KEPT_HEADERS]
    hit = getattr(request, "page_hit", None)
    return Kept(response.status_code, headers, response.content, hit, response["ETag"], generation), response


class PageCache:
    """Answer anonymous GETs of kept pages from the shared cache; keep what views mark as kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _key(request)
        if key is None:
            return self.get_response(request)
        # Read before the page is made: a page made while a change commits
        # is kept under the generation before it, and so never served.
        current, found = _lookup(key)
        if found is not None:
            if found.hit is not None and (hook := _hits.get(found.hit[0])) is not None:
                hook(request, found.hit[1])
            return found.response()
        response = self.get_response(request)
        if current is not None and _keepable(request, response):
            kept_page, response = _kept_from(request, response, current)
            if len(kept_page.content) > KEPT_MAX_BYTES:
                return response
            _safely(lambda: _cache().set(key, kept_page, settings.PAGE_CACHE_SECONDS), None)
        return response
