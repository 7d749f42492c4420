"""
Atom and RSS for the whole site, each author and each tag, with each post's
full rendered content. Only published posts whose time has come.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post, Tag, authors
from site.text import xml_chars_only

FEED_ITEMS = 20


class PostsFeed(Feed):
    """The whole site (RSS 2.0); the subclasses narrow it, the Atom ones change the format."""

    description_template = None

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # Django dates a feed by its newest item: a post unpublished, deleted
        # or released later with an earlier time would leave the date as it
        # was, and a reader asking "changed since?" would miss it. The ETag,
        # made from the feed itself, is the one validator.
        response.headers.pop("Last-Modified", None)
        return response

    def title(self, obj: object = None) -> str:
        return settings.SITE_NAME

    def description(self, obj: object = None) -> str:
        return settings.SITE_DESCRIPTION

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
        return xml_chars_only(item.content_html)

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
        return xml_chars_only(f"{obj.public_name} · {settings.SITE_NAME}")

    def link(self, obj: object = None) -> str:
        return obj.get_absolute_url()

    def posts(self, obj: object) -> QuerySet[Post]:
        return Post.objects.published().by(obj)


class TagFeed(PostsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag.objects.in_use(), slug=slug)

    def title(self, obj: object = None) -> str:
        return xml_chars_only(f"Posts tagged {obj.name} · {settings.SITE_NAME}")

    def link(self, obj: object = None) -> str:
        return obj.get_absolute_url()

    def posts(self, obj: object) -> QuerySet[Post]:
        return Post.objects.published().tagged(obj)


class PostsAtomFeed(PostsFeed):
    feed_type = Atom1Feed


class AuthorAtomFeed(AuthorFeed):
    feed_type = Atom1Feed


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
