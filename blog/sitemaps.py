from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from blog.models import Post, Tag, authors


class PostSitemap(Sitemap):
    def items(self) -> QuerySet[Post]:
        return Post.objects.published().order_by("pk")

    def lastmod(self, item: Post) -> datetime:
        return max(item.updated_at, item.published_at or item.updated_at)


class AuthorSitemap(Sitemap):
    def items(self) -> QuerySet:
        return authors().order_by("pk")


class TagSitemap(Sitemap):
    def items(self) -> QuerySet[Tag]:
        return Tag.objects.in_use().order_by("pk")


SITEMAPS = {"posts": PostSitemap, "authors": AuthorSitemap, "tags": TagSitemap}
