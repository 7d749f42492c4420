"""Pages: Markdown at a top-level address (/about/), in the navigation and the sitemap, never in feeds."""

from __future__ import annotations

from collections.abc import Collection
from typing import Self

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from blog.models.media import pictures_shown
from blog.models.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from blog.rendering import render
from site.text import xml_chars_only

PAGE_SLUG_MAX_LENGTH = 80


class PageQuerySet(models.QuerySet):
    def published(self) -> PageQuerySet:
        """What readers see: published, its time come."""
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())

    def in_navigation(self) -> PageQuerySet:
        return self.published().filter(in_navigation=True).order_by("navigation_order", "title", "pk")


class Page(models.Model):
    """A page of the site (About, Contact, Now): written as posts are, published by Editors."""

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    # Its address, /<slug>/: never one of the site's own (blog.pages.services.RESERVED).
    slug = models.SlugField(max_length=PAGE_SLUG_MAX_LENGTH, unique=True, allow_unicode=True)
    content = models.TextField(max_length=CONTENT_MAX_LENGTH, help_text="Markdown.")
    content_html = models.TextField(editable=False, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    in_navigation = models.BooleanField("in the navigation", default=True)
    navigation_order = models.SmallIntegerField(default=0, help_text="Lower comes first.")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["navigation_order", "title", "pk"]
        permissions = [("manage_pages", "Can write, publish and unpublish the site's pages")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.prepare()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("page-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[object], **kwargs) -> Self:
        page = super().from_db(db, field_names, values, **kwargs)
        if "content" in page.__dict__:
            page._rendered_from = page.content
        return page

    def prepare(self) -> None:
        """Clean and render the text if it changed: CPU work, called before the saving transaction."""
        self.title, self.content = xml_chars_only(self.title), xml_chars_only(self.content)
        if getattr(self, "_rendered_from", None) != self.content:
            self.content_html, _ = pictures_shown(render(self.content).html)
            self._rendered_from = self.content
