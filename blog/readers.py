"""
What counts as a read, and who the reader is, without keeping who they are.

A read is a GET of a published post's page by someone who is not its author,
not a bot, and not a browser's prefetch, counted once per visitor per day,
and at most READERS_PER_ADDRESS visitors per address (an IPv6 /64 is one
address) per post per day: one address rotating user agents could otherwise
count as a new reader on every request.
A visitor is an HMAC of the client's address and user agent under a secret
made for the day (VisitorKey); neither is stored, and the secret and the
per-day read rows are deleted once the day is over, so nothing kept can be
tied back to a person.
"""

import functools
import hashlib
import hmac
import os
import re
from datetime import date
from urllib.parse import urlsplit

import crawleruseragents
from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone

from blog import services
from blog.models import Post, PostRead, VisitorKey
from blog.models.tallies import VISITOR_ADDRESS_CHARS
from site import pages
from site.http import client_key
from site.storage import is_write_failure, write_failure_log

# Substrings (lower case) of the user agents of bots, crawlers, link-preview
# fetchers, monitors, feed readers and scripts. An empty user agent is a bot too.
BOT_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "fetch",
    "monitor",
    "headless",
    "feed",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "headlesschrome",
)
SOURCE_MAX_LENGTH = 100
_SOURCE_CHARS = re.compile(r"[^a-z0-9.\-_]")


@functools.lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """
    Our markers, then the crawler-user-agents list (some 1,500 patterns, kept
    up to date upstream), which takes ~0.2 ms for a browser's user agent; the
    cache makes repeat visitors' checks free.
    """
    agent = user_agent.strip()
    lowered = agent.lower()
    return not agent or any(marker in lowered for marker in BOT_MARKERS) or crawleruseragents.is_crawler(agent)


def is_prefetch(request: HttpRequest) -> bool:
    """A browser fetching ahead of a click (prefetch, prerender): no one has read anything yet."""
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")
    ).lower()
    return "prefetch" in purpose or "prerender" in purpose or "preview" in purpose


def read_counts(request: HttpRequest, post: Post) -> bool:
    """Whether showing `post` to this request is a read (see the module's docstring)."""
    return post.is_published and request.user != post.author and is_reader(request)


def is_reader(request: HttpRequest) -> bool:
    """Whether this request is someone reading the page it asks for (not a bot, not a prefetch)."""
    return request.method == "GET" and not is_prefetch(request) and not is_bot(request.headers.get("User-Agent", ""))


def read_take(request: HttpRequest, *, post_id: int) -> int | None:
    """
    Count this request's read of the published post `post_id`, by someone
    not its author (read_counts said so). The new total, or None when it was
    not a new read or could not be written: reading never depends on
    writing, so a full disk loses the count, not the page.
    """
    day = timezone.localdate()
    try:
        return services.post_read_record(
            post_id=post_id, visitor=visitor_id(request, day), source=read_source(request), day=day
        )
    except DatabaseError as exc:
        if not is_write_failure(exc):
            raise
        write_failure_log("read counts", exc)
        return None


@pages.on_hit("read")
def read_from_cache(request: HttpRequest, post_id: int) -> None:
    """
    A post page served from the page cache counts its read as the view would
    have: the page was kept only for anonymous readers (never its author) of
    a published post, and any change to the post forgot it.
    """
    if not is_reader(request):
        return
    try:
        read_take(request, post_id=post_id)
    except DatabaseError as exc:
        # The post went between the cache's answer and the change that
        # forgot it (deleted, say): the reader still gets the page.
        write_failure_log("read counts", exc)


def read_source(request: HttpRequest) -> str:
    """
    Where the reader came from: the host of a link on another site (the
    Referer), or a utm_source the site expects (settings.READ_SOURCES); ""
    for none. Any other utm_source is text anyone could put in an author's
    dashboard and report mail (referral spam), so it does not count.
    """
    source = request.GET.get("utm_source", "").strip().lower()
    if source not in settings.READ_SOURCES:
        source = ""
    if not source:
        host = (urlsplit(request.headers.get("Referer", "")).hostname or "").lower()
        if host and host != request.get_host().split(":")[0].lower():
            source = host
    source = source.strip().lower()
    source = source.removeprefix("www.") if "." in source.removeprefix("www.") else source
    return _SOURCE_CHARS.sub("", source)[:SOURCE_MAX_LENGTH]


_keys: dict[date, bytes] = {}


def visitor_key(day: date) -> bytes:
    """
    The day's secret, made by whichever process needs it first. Making it
    also deletes every earlier day's secret and read rows: from the first
    read of a new day on, yesterday's visitor ids are meaningless.
    """
    if day not in _keys:
        with transaction.atomic():
            # Another worker may have made it first: theirs stands.
            VisitorKey.objects.bulk_create([VisitorKey(day=day, secret=os.urandom(32))], ignore_conflicts=True)
            readers_forget(before=day)
            secret = bytes(VisitorKey.objects.get(day=day).secret)
        _keys.clear()
        _keys[day] = secret
    return _keys[day]


def visitor_id(request: HttpRequest, day: date) -> str:
    """
    An id for (address, browser) that only this day's key can make, and
    nothing can undo: the address's half, then the browser's, so that the
    reads of one address can be counted (READERS_PER_ADDRESS).
    """
    key, address = visitor_key(day), client_key(request)
    browser = f"{address}\n{request.headers.get('User-Agent', '')}"
    halves = (hmac.new(key, material.encode(), hashlib.sha256).hexdigest() for material in (address, browser))
    return "".join(half[:VISITOR_ADDRESS_CHARS] for half in halves)


def readers_forget(*, before: date | None = None) -> int:
    """Delete every visitor key and read row of the days before `before` (today). Returns rows deleted."""
    before = before or timezone.localdate()
    keys = VisitorKey.objects.filter(day__lt=before).delete()[0]
    return keys + PostRead.objects.filter(day__lt=before).delete()[0]
