"""The blog's models, one module per subject; import them from here."""

from blog.models.federation import HANDLE_MAX_LENGTH, Actor, Follower
from blog.models.imports import REPORT_MAX_ITEMS, ImportedPost, ImportJob, OldAddress
from blog.models.mail import (
    POST_MAIL_OWED_DAYS,
    REPORT_OWED_DAYS,
    SUBSCRIPTION_CONFIRM_DAYS,
    MailCounts,
    PostMail,
    Report,
    ReportPlan,
    Subscriber,
    SubscriptionConfirmation,
)
from blog.models.media import Image
from blog.models.pages import Page
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
    due_q,
    published_q,
    unique_slug,
)
from blog.models.review import REVIEW_MAIL_OWED_DAYS, ReviewDigest, ReviewMail
from blog.models.search import PostSearch
from blog.models.tallies import DailySources, DailyViews, PostRead, VisitorKey
from blog.models.versions import VERSIONS_KEPT, PostVersion

__all__ = [
    "Actor",
    "Follower",
    "HANDLE_MAX_LENGTH",
    "PostVersion",
    "VERSIONS_KEPT",
    "CONTENT_MAX_LENGTH",
    "DRAFT_SLUG_PREFIX",
    "POST_MAIL_OWED_DAYS",
    "REPORT_OWED_DAYS",
    "SUBSCRIPTION_CONFIRM_DAYS",
    "SLUG_ATTEMPTS",
    "SLUG_MAX_LENGTH",
    "TAGS_PER_POST",
    "TAG_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "REPORT_MAX_ITEMS",
    "DailySources",
    "Image",
    "ImportJob",
    "ImportedPost",
    "OldAddress",
    "Page",
    "DailyViews",
    "MailCounts",
    "Post",
    "PostSearch",
    "PostMail",
    "PostQuerySet",
    "PostRead",
    "Report",
    "ReportPlan",
    "Subscriber",
    "SubscriptionConfirmation",
    "Tag",
    "VisitorKey",
    "authors",
    "draft_slug",
    "due_q",
    "published_q",
    "REVIEW_MAIL_OWED_DAYS",
    "ReviewDigest",
    "ReviewMail",
    "unique_slug",
]
