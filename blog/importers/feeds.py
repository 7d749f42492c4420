"""
An Atom or RSS feed (what most blogs offer when they offer nothing else),
and Blogger's export, which is an Atom feed: its entries as posts, read as
a stream like a WordPress export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from functools import partial
from html import escape
from typing import BinaryIO
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, tostring

from blog.importers.html import post_body
from blog.importers.items import ATOM_NS, DRAFT, PUBLISHED, SCHEDULED, Entry, Item, LeftOut, Skipped, entry_read
from blog.importers.xml import elements, local_name, parse_errors_explained, text_of
from blog.rendering import plain_text as html_text

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_APP_NS = "http://www.w3.org/2007/app"
_XHTML_NS = "http://www.w3.org/1999/xhtml"
# Blogger's export is one Atom feed of posts, comments, settings and its template.
_BLOGGER_KIND = "http://schemas.google.com/g/2005#kind"
_BLOGGER_POST = "http://schemas.google.com/blogger/2008/kind#post"


def read(file: BinaryIO) -> Iterator[Entry]:
    site = ""  # The feed's id (Atom) or its site's address (RSS's <link>, not atom:link).
    with parse_errors_explained():
        for event, element, depth in elements(file):
            if event == "start":
                continue
            if depth == 1 and element.tag == f"{{{ATOM_NS}}}id":
                site = site or (element.text or "").strip()
            elif depth == 1 and element.tag == f"{{{ATOM_NS}}}link" and element.get("rel", "alternate") == "alternate":
                site = site or element.get("href", "")
            elif depth == 2 and element.tag == "link":
                site = site or (element.text or "").strip()
            elif depth == 1 and element.tag == f"{{{ATOM_NS}}}entry":
                name = text_of(element, "title") or text_of(element, "id") or "an entry"
                yield entry_read(name, partial(_atom_entry, element, f"feed:{site}"))
            elif depth == 2 and element.tag == "item":
                name = text_of(element, "title") or text_of(element, "guid") or "an item"
                yield entry_read(name, partial(_rss_item, element, f"feed:{site}"))


def _alternate(element: Element) -> str:
    for link in element.findall(f"{{{ATOM_NS}}}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return ""


def _atom_text(element: Element | None) -> tuple[str, bool]:
    """An Atom text construct as (text, is HTML)."""
    if element is None:
        return "", False
    kind = element.get("type", "text")
    if kind == "xhtml":
        try:
            return "".join(tostring(c, encoding="unicode", default_namespace=_XHTML_NS) for c in element), True
        except ValueError:  # Markup outside XHTML's namespace: its words alone.
            return escape("".join(element.itertext())), True
    return element.text or "", kind in ("html", "text/html")


def _atom_entry(entry: Element, source: str) -> Entry:
    title_text, title_is_html = _atom_text(entry.find(f"{{{ATOM_NS}}}title"))
    title = " ".join((html_text(title_text) if title_is_html else title_text).split())
    key = text_of(entry, "id") or _alternate(entry)
    name = f"“{title}”" if title else key or "an entry"
    kinds = [c.get("term") for c in entry.findall(f"{{{ATOM_NS}}}category") if c.get("scheme") == _BLOGGER_KIND]
    if kinds and _BLOGGER_POST not in kinds:
        return LeftOut(kind=kinds[0].rsplit("#", 1)[-1] if kinds[0] else "entry")
    if not key:
        return Skipped(name=name, reason="it has no id or link, so a second import could not find it again")
    content = entry.find(f"{{{ATOM_NS}}}content")
    if content is None:
        content = entry.find(f"{{{ATOM_NS}}}summary")
    text, is_html = _atom_text(content)
    try:
        published_at = _iso(text_of(entry, "published") or text_of(entry, "updated"))
    except ValueError as exc:
        return Skipped(name=name, reason=f"its date cannot be read ({exc})")
    draft = (entry.findtext(f"{{{_APP_NS}}}control/{{{_APP_NS}}}draft") or "").strip() == "yes"
    tags = [
        c.get("term", "").strip() for c in entry.findall(f"{{{ATOM_NS}}}category") if c.get("scheme") != _BLOGGER_KIND
    ]
    author = entry.find(f"{{{ATOM_NS}}}author")
    return _item(
        source=source,
        key=key,
        title=title,
        html=text if is_html else f"<p>{escape(text)}</p>" if text.strip() else "",
        published_at=published_at,
        draft=draft,
        tags=tags,
        author_email=text_of(author, "email"),
        link=_alternate(entry),
    )


def _rss_item(item: Element, source: str) -> Entry:
    title = " ".join(html_text(text_of(item, "title")).split())
    guid, link = text_of(item, "guid"), text_of(item, "link")
    key = guid or link
    name = f"“{title}”" if title else key or "an item"
    if not key:
        return Skipped(name=name, reason="it has no guid or link, so a second import could not find it again")
    content = item.find(f"{{{_CONTENT_NS}}}encoded")
    html = content.text if content is not None and content.text else text_of(item, "description")
    try:
        when = text_of(item, "pubDate") or text_of(item, "date")
        published_at = (parsedate_to_datetime(when) if "," in when or " " in when else _iso(when)) if when else None
    except (TypeError, ValueError) as exc:
        return Skipped(name=name, reason=f"its date cannot be read ({exc})")
    if published_at is not None and published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    tags = [(c.text or "").strip() for c in item if local_name(c.tag) == "category"]
    return _item(
        source=source,
        key=key,
        title=title,
        html=html or "",
        published_at=published_at,
        draft=False,
        tags=tags,
        author_email=parseaddr(text_of(item, "author"))[1],
        link=link,
    )


def _item(
    *,
    source: str,
    key: str,
    title: str,
    html: str,
    published_at: datetime | None,
    draft: bool,
    tags: list[str],
    author_email: str,
    link: str,
) -> Entry:
    if not draft and published_at is None:
        return Skipped(name=f"“{title}”" if title else key, reason="it has no date")
    state = DRAFT if draft else SCHEDULED if published_at and published_at > datetime.now(UTC) else PUBLISHED
    body, markup = post_body(html)
    path = unquote(urlsplit(link).path) if link else ""
    return Item(
        source=source,
        key=key,
        title=title,
        body=body,
        markup=markup,
        state=state,
        published_at=None if draft else published_at.astimezone(UTC) if published_at else None,
        tags=tuple(dict.fromkeys(t for t in tags if t)),
        slug=path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html"),
        author_email=author_email if "@" in author_email else "",
        old_paths=(path,) if path not in ("", "/") else (),
    )


def _iso(value: str) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
