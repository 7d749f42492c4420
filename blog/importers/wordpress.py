"""
A WordPress export (WXR, "Tools → Export"): its posts, read as a stream in
constant memory (each item is dropped once read), by defusedxml, which
refuses a DTD and with it every entity trick.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import BinaryIO
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from django.conf import settings

from blog.importers.html import post_body, wordpress_autop
from blog.importers.items import (
    DRAFT,
    PENDING,
    PUBLISHED,
    SCHEDULED,
    WORDPRESS,
    WORDPRESS_NS,
    Entry,
    Item,
    LeftOut,
    Skipped,
    entry_read,
)
from blog.importers.xml import elements, local_name, parse_errors_explained, text_of

# What becomes of each status; trash and auto-drafts are not posts anyone wrote.
_STATES = {"publish": PUBLISHED, "future": SCHEDULED, "draft": DRAFT, "pending": PENDING, "private": DRAFT}
_NO_DATE = "0000-00-00 00:00:00"
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
# WordPress puts every post without a category in this one: it says nothing.
_DEFAULT_CATEGORY = "uncategorized"


def read(file: BinaryIO) -> Iterator[Entry]:
    authors: dict[str, str] = {}  # login (lower case) -> email
    site = link = ""
    with parse_errors_explained():
        for event, element, depth in elements(file):
            if event == "start":
                continue
            name = local_name(element.tag)
            if depth == 2 and name == "base_site_url":
                site = (element.text or "").strip().rstrip("/")
            elif depth == 2 and element.tag == "link":
                link = (element.text or "").strip().rstrip("/")
            elif depth == 2 and name == "author" and element.tag.startswith(f"{{{WORDPRESS_NS}"):
                if login := text_of(element, "author_login").lower():
                    authors[login] = text_of(element, "author_email")
            elif depth == 2 and name == "item":
                yield entry_read(_name(element), partial(_entry, element, site=site or link, authors=authors))


def _name(item: Element) -> str:
    title = text_of(item, "title")
    return f"“{title}”" if title else f"post {text_of(item, 'post_id') or '?'}"


def _entry(item: Element, *, site: str, authors: dict[str, str]) -> Entry:
    post_type, post_id, title = text_of(item, "post_type") or "post", text_of(item, "post_id"), text_of(item, "title")
    if post_type != "post":
        return LeftOut(kind=post_type)
    name = _name(item)
    status = text_of(item, "status")
    if status not in _STATES:
        return LeftOut(kind=f"{status or 'unknown'} post")
    if not post_id.isdigit():
        return Skipped(name=name, reason="it has no wp:post_id, so a second import could not find it again")
    try:
        published_at = _published_at(item)
    except ValueError as exc:
        return Skipped(name=name, reason=f"its date cannot be read ({exc})")
    state = _STATES[status]
    if state in (PUBLISHED, SCHEDULED) and published_at is None:
        return Skipped(name=name, reason="it is published but has no date")
    if state == PUBLISHED and published_at and published_at > datetime.now(UTC):
        state = SCHEDULED
    content = item.find(f"{{{_CONTENT_NS}}}encoded")
    body, markup = post_body(wordpress_autop(content.text or "" if content is not None else ""))
    tags = [
        (category.text or "").strip()
        for category in item
        if local_name(category.tag) == "category"
        and category.get("domain") in ("category", "post_tag")
        and category.get("nicename") != _DEFAULT_CATEGORY
    ]
    return Item(
        source=f"{WORDPRESS}:{site}",
        key=post_id,
        title=title,
        body=body,
        markup=markup,
        state=state,
        published_at=published_at if state in (PUBLISHED, SCHEDULED) else None,
        tags=tuple(dict.fromkeys(t for t in tags if t)),
        slug=unquote(text_of(item, "post_name")),
        author_email=authors.get(text_of(item, "creator").lower(), ""),
        old_paths=tuple(dict.fromkeys(p for p in (f"/?p={post_id}", _path(text_of(item, "link"))) if p)),
    )


def _published_at(item: Element) -> datetime | None:
    """
    In UTC: the export's GMT time; else (WordPress leaves it zero for some
    posts, and their RSS date at 1970) its local time, taken to be in this
    site's TIME_ZONE, since the export does not say WordPress's.
    """
    gmt, local = text_of(item, "post_date_gmt"), text_of(item, "post_date")
    if gmt and gmt != _NO_DATE:
        return datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    if local and local != _NO_DATE:
        zone = ZoneInfo(settings.TIME_ZONE)
        return datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).astimezone(UTC)
    if pub_date := text_of(item, "pubDate"):
        try:
            when = parsedate_to_datetime(pub_date).astimezone(UTC)
        except (TypeError, ValueError):
            return None
        return when if when.year > 1970 else None
    return None


def _path(link: str) -> str:
    """The address a post had, without its host, decoded as Django gives request.path: what an old link asks for."""
    parts = urlsplit(link)
    path = unquote(parts.path) or "/"
    if parts.query:
        return f"{path}?{parts.query}"
    return "" if path == "/" else path
