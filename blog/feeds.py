"""
Atom and RSS for the whole site, each author and each tag, with each post's
full rendered content (Atom's <content>, RSS's <content:encoded>) beside its
excerpt. Only published posts whose time has come.

Every id and link is on SITE_URL whatever Host the request came with: an
entry seen under two hostnames would otherwise be two entries to a reader.
Links inside a post are made absolute, as readers show content away from
the site (Atom also carries xml:base).
"""

import html
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.xmlutils import SimplerXMLGenerator

from blog.models import Post, Tag, authors
from site.models import site_settings
from site.text import xml_chars_only

FEED_ITEMS = 20
_LINKING_TAG = re.compile(r"<(?:a|img|source)\s[^>]*>")
_URL_ATTRIBUTE = re.compile(r'\s(href|src)="([^"]*)"')
_SRCSET = re.compile(r'\ssrcset="([^"]*)"')
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def absolute_links(content: str, base: str) -> str:
    """
    Every link and picture address of rendered HTML as an absolute URL,
    relative to base (each of a srcset's too). Only inside <a>, <img> and <source> tags: a post's text (a code
    sample showing href="/x") stays as written. The renderer's HTML escapes
    '<', '>' and '"' inside attribute values, so a tag ends at its first '>'.
    """

    def absolute(match: re.Match[str]) -> str:
        name, value = match[1], match[2]
        if _HAS_SCHEME.match(value):
            return match[0]
        return f' {name}="{html.escape(urljoin(base, html.unescape(value)))}"'

    def absolute_set(match: re.Match[str]) -> str:
        # "url 480w, url 960w": each address made absolute, its width kept.
        candidates = [candidate.strip().split(" ", 1) for candidate in html.unescape(match[1]).split(",")]
        made = [" ".join([urljoin(base, parts[0]), *parts[1:]]) for parts in candidates if parts and parts[0]]
        return f' srcset="{html.escape(", ".join(made))}"'

    def tag(match: re.Match[str]) -> str:
        return _SRCSET.sub(absolute_set, _URL_ATTRIBUTE.sub(absolute, match[0]))

    return _LINKING_TAG.sub(tag, content)


class _OnSiteUrl:
    """The request as Django's Feed reads it for its domain, answering with SITE_URL's."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def __getattr__(self, name: str) -> object:
        return getattr(self._request, name)

    def get_host(self) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def is_secure(self) -> bool:
        return urlsplit(settings.SITE_URL).scheme == "https"


class RssWithContent(Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html", "xml:base": item["link"]})


class PostsFeed(Feed):
    """The whole site (RSS 2.0); the subclasses narrow it, the Atom ones change the format."""

    description_template = None
    feed_type: type = RssWithContent

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # Django dates a feed by its newest item: a post unpublished, deleted
        # or released later with an earlier time would leave the date as it
        # was, and a reader asking "changed since?" would miss it. The ETag,
        # made from the feed itself, is the one validator.
        response.headers.pop("Last-Modified", None)
        return response

    def get_feed(self, obj: object, request: HttpRequest) -> SyndicationFeed:
        return super().get_feed(obj, _OnSiteUrl(request))  # type: ignore[arg-type]

    def title(self, obj: object = None) -> str:
        return xml_chars_only(site_settings().title)

    def description(self, obj: object = None) -> str:
        return xml_chars_only(site_settings().description)

    subtitle = description

    def link(self, obj: object = None) -> str:
        return reverse("blog:post-list")

    def posts(self, obj: object) -> QuerySet[Post]:
        return Post.objects.published()

    def items(self, obj: object = None) -> QuerySet[Post]:
        return self.posts(obj).select_related("author").prefetch_related("tags")[:FEED_ITEMS]

    def item_title(self, item: Post) -> str:
        return xml_chars_only(item.title)

    def item_description(self, item: Post) -> str:
        return html.escape(xml_chars_only(item.excerpt))  # Text, in an element that holds HTML.

    def item_extra_kwargs(self, item: Post) -> dict[str, Any]:
        url = settings.SITE_URL + item.get_absolute_url()
        return {"content": absolute_links(xml_chars_only(item.content_html), url)}

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Post) -> datetime:
        return max(item.updated_at, item.published_at or item.updated_at)

    def item_author_name(self, item: Post) -> str:
        return xml_chars_only(item.author.public_name)

    def item_author_link(self, item: Post) -> str:
        return settings.SITE_URL + item.author.get_absolute_url()

    def item_categories(self, item: Post) -> list[str]:
        return [xml_chars_only(tag.name) for tag in item.tags.all()]


class AuthorFeed(PostsFeed):
    def get_object(self, request: HttpRequest, pk: int) -> AbstractBaseUser:
        return get_object_or_404(authors(), pk=pk)

    def title(self, obj: object = None) -> str:
        return xml_chars_only(f"{obj.public_name} · {site_settings().title}")

    def link(self, obj: object = None) -> str:
        return obj.get_absolute_url()

    def posts(self, obj: object) -> QuerySet[Post]:
        return Post.objects.published().by(obj)


class TagFeed(PostsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag.objects.in_use(), slug=slug)

    def title(self, obj: object = None) -> str:
        return xml_chars_only(f"Posts tagged {obj.name} · {site_settings().title}")

    def link(self, obj: object = None) -> str:
        return obj.get_absolute_url()

    def posts(self, obj: object) -> QuerySet[Post]:
        return Post.objects.published().tagged(obj)


class PostsAtomFeed(PostsFeed):
    feed_type = AtomWithContent


class AuthorAtomFeed(AuthorFeed):
    feed_type = AtomWithContent


class TagAtomFeed(TagFeed):
    feed_type = AtomWithContent
