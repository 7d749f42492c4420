"""The blog's models, one module per subject; import them from here."""

from blog.models.mail import REPORT_OWED_DAYS, Report
from blog.models.posts import (
    CONTENT_MAX_LENGTH,
    DRAFT_SLUG_PREFIX,
    SLUG_ATTEMPTS,
    SLUG_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_PER_POST,
    TITLE_MAX_LENGTH,
    Post,
    PostQuerySet,
    Tag,
    authors,
    draft_slug,
    published_q,
    unique_slug,
)
from blog.models.tallies import DailySources, DailyViews, PostRead, VisitorKey

__all__ = [
    "CONTENT_MAX_LENGTH",
    "DRAFT_SLUG_PREFIX",
    "REPORT_OWED_DAYS",
    "SLUG_ATTEMPTS",
    "SLUG_MAX_LENGTH",
    "TAGS_PER_POST",
    "TAG_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "DailySources",
    "DailyViews",
    "Post",
    "PostQuerySet",
    "PostRead",
    "Report",
    "Tag",
    "VisitorKey",
    "authors",
    "draft_slug",
    "published_q",
    "unique_slug",
]
