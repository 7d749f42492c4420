"""Posts and tags: what is published, and the addresses posts take."""

from __future__ import annotations

import functools
import itertools
import secrets
from collections.abc import Collection
from datetime import date, datetime
from typing import Self

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from blog.models.media import images_link, pictures_shown
from blog.models.search import PostSearch
from blog.rendering import EXCERPT_MAX_LENGTH, HTML, MARKDOWN, WORDS_PER_MINUTE, render
from site.text import xml_chars_only
from users import roles

TITLE_MAX_LENGTH = 200
CONTENT_MAX_LENGTH = 100_000
SLUG_MAX_LENGTH = 220
# slugify() never starts a slug with "_", so a draft's random address can
# never clash with, or be mistaken for, one made from a title.
DRAFT_SLUG_PREFIX = "_"
SLUG_ATTEMPTS = 5


def due_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """
    A publish time that has come by `at` (now by default), and the post given
    its public address (blog.services.posts_release, within a minute of its
    time): the post's own state, whoever wrote it.
    """
    return Q(**{f"{prefix}published_at__isnull": False, f"{prefix}published_at__lte": at or timezone.now()}) & ~Q(
        **{f"{prefix}slug__startswith": DRAFT_SLUG_PREFIX}
    )


def published_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """
    The one definition of "published", what readers see: due (due_q), by an
    account that is active. A deactivated or suspended account's posts are
    public nowhere until it is active again. `prefix` reaches posts from
    another model ("post__"), and the Q serves as an aggregate's filter too.
    """
    return due_q(at=at, prefix=prefix) & Q(**{f"{prefix}author__is_active": True})


def authors(*, at: datetime | None = None) -> models.QuerySet:
    """Active accounts with a post published by `at` (now): whom the blog shows, and reports to."""
    # A semi-join (EXISTS), not a join and DISTINCT: planning reports for
    # 100,000 authors sorted every author's every post first.
    published = Post.objects.filter(due_q(at=at), author=OuterRef("pk"))
    return get_user_model().objects.filter(Exists(published), is_active=True)


# The post's delivery bookkeeping: each written by its own conditional UPDATE, never by a save.
OWED = frozenset({"subscribers_owed_at", "subscribers_owing_until", "fediverse_owed_at"})


class PostQuerySet(models.QuerySet):
    def published(self) -> PostQuerySet:
        return self.filter(published_q())

    def drafts(self) -> PostQuerySet:
        """Not published: never published, or scheduled for later."""
        return self.exclude(due_q())

    def by(self, author: models.Model) -> PostQuerySet:
        return self.filter(author=author)

    def tagged(self, tag: Tag) -> PostQuerySet:
        return self.filter(tags=tag)

    def submitted(self) -> PostQuerySet:
        """Drafts waiting in the review queue, oldest first (a suspended writer's wait with them)."""
        return self.filter(published_at__isnull=True, submitted_at__isnull=False, author__is_active=True).order_by(
            "submitted_at", "pk"
        )

    def due_unreleased(self) -> PostQuerySet:
        """Scheduled posts whose time has come, still at their private address."""
        return self.filter(published_at__lte=timezone.now(), slug__startswith=DRAFT_SLUG_PREFIX)

    def scheduled(self) -> PostQuerySet:
        """Given a publish time that has not come yet."""
        return self.filter(published_at__isnull=False).exclude(due_q())

    def awaiting_fediverse(self) -> PostQuerySet:
        """Public, and its Create not yet owed to its author's followers (scheduled, re-published, reactivated)."""
        return self.published().filter(fediverse_owed_at__isnull=True)

    def withdrawn_from_fediverse(self) -> PostQuerySet:
        """
        Sent to followers as public, and public no longer because its author
        was suspended or deactivated: its Delete is owed. (Unpublishing or
        deleting a post owes its Delete there and then.)
        """
        return self.filter(fediverse_owed_at__isnull=False, author__is_active=False)

    def awaiting_mail(self) -> PostQuerySet:
        """Published, and its subscribers not yet owed its mail."""
        return self.published().filter(subscribers_owed_at__isnull=True)

    def with_views_between(self, first: date, last: date) -> PostQuerySet:
        views = Sum("daily_views__views", filter=Q(daily_views__day__gte=first, daily_views__day__lte=last))
        return self.annotate(views_between=Coalesce(views, 0))

    def visible_to(self, user: roles.Actor) -> PostQuerySet:
        """Published posts for everyone; the user's own drafts; what waits for review to reviewers; all to Editors."""
        if not user.is_authenticated:
            return self.published()
        if roles.may_edit_any(user):
            return self.all()
        seen = published_q() | Q(author=user)
        if roles.may_review(user):
            seen |= Q(published_at__isnull=True, submitted_at__isnull=False)
        return self.filter(seen)

    def with_views_since(self, day: date) -> PostQuerySet:
        return self.annotate(views_since=Coalesce(Sum("daily_views__views", filter=Q(daily_views__day__gte=day)), 0))


TAG_MAX_LENGTH = 40
TAGS_PER_POST = 10


class TagQuerySet(models.QuerySet):
    def in_use(self) -> TagQuerySet:
        """Tags of at least one published post."""
        # EXISTS per tag, which stops at its first published post: an IN of
        # every published post's tags read them all (120 ms at 100,000 posts).
        return self.filter(Exists(Post.objects.published().filter(tags=OuterRef("pk"))))

    def named(self, names: Collection[str]) -> list[Tag]:
        """
        The tags of these names (cleaned as the post form cleans them), in
        order, making the new ones. A tag is its name: "c", "c++" and "c#"
        are three tags, and nobody can give a name another writer spells
        differently. The address is made from the name, with "-2" after it
        when another name took it first.
        """
        return [Tag.objects.filter(name=name).first() or self._create_named(name) for name in names]

    def _create_named(self, name: str) -> Tag:
        base = slugify(name, allow_unicode=True)[:TAG_MAX_LENGTH] or "tag"
        for _ in range(SLUG_ATTEMPTS):
            taken = set(Tag.objects.filter(slug__startswith=base).values_list("slug", flat=True))
            slug = next(s for n in itertools.count(1) if (s := base if n == 1 else f"{base}-{n}") not in taken)
            try:
                with transaction.atomic():
                    return Tag.objects.create(name=name, slug=slug)
            except IntegrityError:
                if (tag := Tag.objects.filter(name=name).first()) is not None:
                    return tag  # Another writer made it meanwhile.
        raise IntegrityError(f"no free address for the tag {name!r} after {SLUG_ATTEMPTS} tries")


class Tag(models.Model):
    name = models.CharField(max_length=TAG_MAX_LENGTH, unique=True)
    slug = models.SlugField(max_length=TAG_MAX_LENGTH + 10, unique=True, allow_unicode=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:tag-detail", kwargs={"slug": self.slug})


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH,
        allow_unicode=True,
        unique=True,
        blank=True,
        help_text="Made from the title when the post is first published, then never changed; a draft's is random.",
    )
    # The address the writer asked for, taken (or "-2" after it) when the post
    # is first published: a draft's own address stays random, so choosing one
    # reveals nothing about others' drafts.
    planned_slug = models.SlugField(
        "address", max_length=SLUG_MAX_LENGTH - 12, allow_unicode=True, blank=True, default="", db_default=""
    )
    content = models.TextField(max_length=CONTENT_MAX_LENGTH, help_text="Markdown.")
    # Markdown, except a post imported as HTML that Markdown could not say
    # without losing something (blog/importers/html.py): kept as HTML, made
    # safe by the same sanitiser.
    markup = models.CharField(
        max_length=8,
        choices=[(MARKDOWN, "Markdown"), (HTML, "HTML")],
        default=MARKDOWN,
        db_default=MARKDOWN,
        editable=False,
    )
    # Rendered from `content` whenever it is saved (blog/rendering.py), so a
    # page view costs no Markdown.
    content_html = models.TextField(editable=False, default="", db_default="")
    excerpt = models.CharField(max_length=EXCERPT_MAX_LENGTH, editable=False, default="", db_default="")
    word_count = models.PositiveIntegerField(editable=False, default=0, db_default=0)
    # Goes up with every change of the title or text: the editor sends the
    # one its text was based on, so an older tab never saves over a newer
    # version (blog.services.post_update).
    revision = models.PositiveIntegerField(editable=False, default=1, db_default=1)
    # The editor page a new post was begun on (editor.js): its autosave and its
    # buttons reach this draft, never a second one, however they race.
    editor_key = models.CharField(max_length=32, blank=True, default="", db_default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # New posts are published unless created as drafts (published_at=None).
    published_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    view_count = models.PositiveBigIntegerField(default=0, editable=False)
    # A Contributor's draft waiting for an Editor (the review queue); public nowhere.
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_note = models.TextField(
        blank=True, default="", db_default="", help_text="The Editor's note when the post was returned."
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    # Set once every subscriber confirmed by publication time is owed this
    # post's mail (blog/newsletter.py); never cleared, so publishing it again
    # sends nothing twice.
    subscribers_owed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A lease on that fan-out, so one consumer thread does it at a time; one
    # killed mid-way leaves it to the next after the lease runs out.
    subscribers_owing_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when its Create is owed to the author's followers (or there was no
    # one to owe it to); cleared when it stops being public (its Delete is
    # owed), so being public again is a Create again (blog/federation/).
    fediverse_owed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        # Every list walks (published_at, id) backwards, newest first: an
        # index both engines can read in order, with no sort of all posts.
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["published_at", "id"], name="blog_post_published_id"),
            # The reconciler asks every minute which public posts await their Create: a handful among 100,000.
            models.Index(
                fields=["published_at"],
                condition=Q(fediverse_owed_at__isnull=True),
                name="blog_post_fediverse_awaiting",
            ),
        ]
        permissions = [
            ("publish_post", "Can publish and schedule own posts"),
            ("edit_any_post", "Can edit, publish and unpublish anyone's posts"),
            ("review_post", "Can review posts submitted for review"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self._save_row(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or {"title", "content", "markup"} & set(fields):
            PostSearch.keep(self)
        if (stems := vars(self).pop("_picture_stems", None)) is not None:
            images_link(post=self, stems=stems)

    def get_absolute_url(self) -> str:
        return reverse("blog:post-detail", kwargs={"slug": self.slug})

    def _save_row(self, *args, **kwargs) -> None:
        self.prepare()
        if self.pk and getattr(self, "_text_loaded", None) not in (None, (self.title, self.content)):
            # Counted up in the row itself: two saves that never read each other still get two revisions.
            self.revision = models.F("revision") + 1
            self._text_loaded = (self.title, self.content)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
            self._row_save(*args, **kwargs)
            self.revision = Post.objects.filter(pk=self.pk).values_list("revision", flat=True).get()
            return
        self._row_save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        if "content" in self.__dict__ and "title" in self.__dict__:
            self._text_loaded = (self.title, self.content)

    # Django's own hook, its arguments passed through as they come (they differ between releases).
    def _do_update(self, base_qs, using, pk_val, values, update_fields, *rest, **more) -> bool:  # type: ignore[override]  # noqa: ANN001, E501
        """
        What was owed is kept by single UPDATEs beside the post's own writes:
        a whole post saved from memory (read before its Create was owed, say)
        never writes an old value of it back. (A post deleted meanwhile is
        inserted again whole, as Django does.)
        """
        if update_fields is None:
            values = [value for value in values if value[0].name not in OWED]
        return super()._do_update(base_qs, using, pk_val, values, update_fields, *rest, **more)  # type: ignore[return-value]

    def _row_save(self, *args, **kwargs) -> None:
        if kwargs.get("update_fields") is not None and {"content", "markup"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_html", "excerpt", "word_count"}
        if self.published_at is None or self.published_at > timezone.now():
            # A draft's or a scheduled post's address says nothing of its
            # title: a title slug would show others (as "-2" on theirs) that a
            # hidden post exists. A scheduled post gets its public address
            # when its time comes (blog.services.posts_release).
            self.slug = self.slug or draft_slug()
            return super().save(*args, **kwargs)
        if self.slug and not self.slug.startswith(DRAFT_SLUG_PREFIX):
            return super().save(*args, **kwargs)  # Once public, an address never changes.
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "slug"}
        # Published (or scheduled) for the first time: the address comes from
        # the title. Another writer may take the same one between our choice
        # and our insert; then choose again.
        for attempt in range(SLUG_ATTEMPTS):
            self.slug = unique_slug(self.planned_slug or self.title, exclude_pk=self.pk)
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                taken = Post.objects.filter(slug=self.slug).exclude(pk=self.pk).exists()
                if not taken or attempt == SLUG_ATTEMPTS - 1:
                    raise

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[object], **kwargs) -> Self:
        post = super().from_db(db, field_names, values, **kwargs)
        if "content" in post.__dict__ and "markup" in post.__dict__:
            post._rendered_from = (post.content, post.markup)  # What is stored was rendered from what is stored.
        if "content" in post.__dict__ and "title" in post.__dict__:
            post._text_loaded = (post.title, post.content)
        return post

    def prepare(self) -> None:
        """
        Clean the text and render it, if it changed since it was last rendered.
        Services call it before their transaction: rendering is CPU work, and
        save() inside a transaction then finds nothing left to do.
        """
        self.title, self.content = xml_chars_only(self.title), xml_chars_only(self.content)
        if getattr(self, "_rendered_from", None) != (self.content, self.markup):
            self.render()

    def render(self) -> None:
        rendered = render(self.content, markup=self.markup)
        self.content_html, self.excerpt, self.word_count = rendered.html, rendered.excerpt, rendered.words
        self._rendered_from, self._search_text = (self.content, self.markup), rendered.text
        # The pictures uploaded here that it shows: sized, with their variants, and recorded as in use.
        self.content_html, self._picture_stems = pictures_shown(rendered.html)

    # A post page is the hottest read on the site: its tags are one raw query
    # (the ORM took ~1 ms to build it; the page ~3 ms).
    @functools.cached_property
    def tag_list(self) -> list[Tag]:
        """The post's tags, by name (for pages that did not prefetch them)."""
        tags = Tag._meta.db_table
        through = Post.tags.through._meta.db_table
        return list(
            Tag.objects.raw(
                f"SELECT t.id, t.name, t.slug FROM {tags} t JOIN {through} pt ON pt.tag_id = t.id "
                "WHERE pt.post_id = %s ORDER BY t.name",
                [self.pk],
            )
        )

    @functools.cached_property
    def neighbours(self) -> dict[str, Post | None]:
        """The published posts just before ("older") and after ("newer") this one; none for an unpublished post."""
        found: dict[str, Post | None] = {"older": None, "newer": None}
        if not self.is_published:
            return found
        # Keyset on (published_at, id), which the ordering index covers: a
        # range of the index (<= or >= the time), the tie settled by id
        # within it. An OR of the two alone walked the index from its end.
        published, at = Post.objects.published().only("id", "title", "slug"), self.published_at
        found["older"] = (
            published.filter(published_at__lte=at)
            .filter(Q(published_at__lt=at) | Q(pk__lt=self.pk))
            .order_by("-published_at", "-id")
            .first()
        )
        found["newer"] = (
            published.filter(published_at__gte=at)
            .filter(Q(published_at__gt=at) | Q(pk__gt=self.pk))
            .order_by("published_at", "id")
            .first()
        )
        return found

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / WORDS_PER_MINUTE))

    @property
    def is_published(self) -> bool:
        return (
            self.published_at is not None
            and self.published_at <= timezone.now()
            and not self.slug.startswith(DRAFT_SLUG_PREFIX)
        )


def draft_slug() -> str:
    return f"{DRAFT_SLUG_PREFIX}{secrets.token_hex(8)}"


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    # In the title's own script: a Japanese or Greek title gets a readable address too.
    base = slugify(title, allow_unicode=True)[: SLUG_MAX_LENGTH - 12].strip("-") or "post"
    others = Post.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
    taken = set((others if exclude_pk is None else others.exclude(pk=exclude_pk)).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
