"""Writes with side effects for the blog: posts, view counting, subscriptions, and planning the report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone

from blog import reports, tasks
from blog.deliveries import POST_MAIL, REPORT, REVIEW_MAIL, SUBSCRIPTION_CONFIRMATION
from blog.federation.services import actor_ensure, post_activity_owe
from blog.models import (
    SUBSCRIPTION_CONFIRM_DAYS,
    VERSIONS_KEPT,
    DailySources,
    DailyViews,
    Post,
    PostMail,
    PostRead,
    PostVersion,
    Report,
    ReviewMail,
    Subscriber,
    SubscriptionConfirmation,
    Tag,
)
from blog.models.media import images_unlinked
from blog.models.tallies import READERS_PER_ADDRESS
from site import pages
from site.pages import pages_changed
from site.queue import enqueue_on_commit
from site.sql import Value, count_up, count_up_existing, row_exists, row_insert_once
from site.tasks import deliveries_queue_on_commit
from site.text import single_line, xml_chars_only
from site.tokens import TokenInvalid, confirmation_token_read
from site.writer import one_writer
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)


class NotVerified(Exception):
    """Publishing needs a verified address."""


def author_may_publish(author: User) -> bool:
    return author.is_verified


def _actor_ready(author: User) -> None:
    """
    An author who publishes is an actor the fediverse can find (@handle):
    made, with its key pair (CPU work), before the publishing transaction.
    """
    if settings.FEDERATION_ENABLED:
        actor_ensure(user=author)


def _publish_check(by: User) -> None:
    """Raises NotAllowed unless `by`'s role publishes, then NotVerified unless their address is verified."""
    if not roles.may_publish(by):
        raise NotAllowed(f"{by} may not publish")
    if not author_may_publish(by):
        raise NotVerified


class QuotaReached(Exception):
    """The account wrote as much as its role may for now: nothing was written, the message says why."""


def _quota_check(
    author: User, *, new: bool = False, publish: bool = False, draft: Post | None = None, adding: int = 0
) -> None:
    """
    Raise QuotaReached if this write would take `author` past their role's
    quota (users.roles.quota): a new post, a publish, or `draft`'s content
    with the rest of their unpublished drafts.
    """
    if (limits := roles.quota(author)) is None:
        return
    day_ago = timezone.now() - timedelta(days=1)
    mine = Post.objects.by(author)
    if new and mine.filter(created_at__gte=day_ago).count() >= limits.posts_per_day:
        raise QuotaReached(f"You have started {limits.posts_per_day} posts in the last day, the most your role may.")
    if publish and mine.filter(published_at__gte=day_ago).count() >= limits.publishes_per_day:
        raise QuotaReached(
            f"You have published {limits.publishes_per_day} posts in the last day, the most your role may."
        )
    if draft is not None and draft.published_at is None:
        others = mine.filter(published_at__isnull=True).exclude(pk=draft.pk).aggregate(size=Sum(Length("content")))
        # Versions set aside in a conflict are kept text too (blog.models.versions).
        set_aside = PostVersion.objects.filter(post__author=author).aggregate(size=Sum(Length("content")))
        if (others["size"] or 0) + (set_aside["size"] or 0) + len(draft.content) + adding > limits.drafts_kb * 1000:
            raise QuotaReached(
                f"Your drafts would pass {limits.drafts_kb:,} KB, the most your role may keep: "
                "publish or delete some first."
            )


def publish_check(*, by: User) -> None:
    """What publishing asks of `by` (role, verified address, quota), checked before anything is saved."""
    if not roles.may_publish(by):
        raise NotAllowed(f"{by} may not publish")
    _publish_check(by)
    _quota_check(by, publish=True)


def _change_check(by: User, post: Post) -> None:
    if not roles.may_edit(by, post):
        raise NotAllowed(f"{by} may not change post {post.pk}")


def _subscribers_mail(post: Post) -> None:
    """A post published now goes to its author's subscribers at once; a scheduled one, from the reconciler."""
    if post.is_published and post.subscribers_owed_at is None:
        enqueue_on_commit(tasks.post_mails_owe_task, post.pk)


def post_tags_set(*, post: Post, names: list[str]) -> None:
    """Give `post` exactly these tags (names as the form cleans them), making the new ones."""
    post.tags.set(Tag.objects.named(names))


def post_create(
    *,
    author: User,
    title: str,
    content: str,
    publish: bool = False,
    publish_at: datetime | None = None,
    tags: Sequence[str] = (),
    planned_slug: str = "",
    editor_key: str = "",
) -> Post:
    """
    Write a post: a draft, published now, or (with `publish` and a future
    `publish_at`) scheduled, appearing everywhere at that time by itself.
    Raises NotAllowed for a role that may not write or publish, NotVerified
    to publish or schedule unverified, before writing anything.
    """
    if not roles.may_write(author):
        raise NotAllowed(f"{author} may not write")
    if publish:
        _publish_check(author)
        _actor_ready(author)
    post = Post(
        author=author,
        title=title,
        content=content,
        planned_slug=planned_slug,
        published_at=max(publish_at or timezone.now(), timezone.now()) if publish else None,
        editor_key=editor_key,
    )
    _quota_check(author, new=True, publish=publish, draft=post)
    post.prepare()  # Rendering is CPU work: before the transaction, never inside it.
    with transaction.atomic():
        post.save()
        post_tags_set(post=post, names=list(tags))
        if post.is_published:
            pages_changed()
        _subscribers_mail(post)
    if post.is_published:
        post_activity_owe(post=post, change="create")
    return post


@dataclass(frozen=True)
class PostWritten:
    post: Post
    # Publishing was asked for, but the writer's address is not verified yet:
    # the post was kept as a draft instead of lost.
    kept_as_draft: bool


def post_write(*, author: User, publish: bool = False, submit: bool = False, **fields) -> PostWritten:
    """
    The Write form's submission: post_create with the form's fields, keeping
    the post as a draft when its writer's address is not verified yet, or
    (`submit`) putting the draft in the review queue. Raises NotAllowed to
    publish for a role that may not.
    """
    if publish and not roles.may_publish(author):
        raise NotAllowed(f"{author} may not publish")
    kept_as_draft = publish and not author_may_publish(author)
    post = post_create(author=author, publish=publish and not kept_as_draft, **fields)
    if submit and not publish:
        post = post_submit(by=author, post=post)
    return PostWritten(post=post, kept_as_draft=kept_as_draft)


def post_update(
    *,
    by: User,
    post: Post,
    title: str,
    content: str,
    tags: list[str] | None = None,
    publish_at: datetime | None = None,
    planned_slug: str | None = None,
    revision: int | None = None,
    overwrite: bool = False,
    drafts_only: bool = False,
) -> Post:
    """
    Change a post; a scheduled post's time moves to `publish_at` (now, if
    that has passed). Raises NotAllowed unless `by` may change it, and
    moving a publish time needs a role that publishes. With `revision` (the
    one the writer's text was based on), raises Conflict, changing nothing,
    if the post has changed since; with `overwrite` too, saves over it and
    keeps the text it replaces as a PostVersion. With `drafts_only` (an
    autosave), raises NotADraft, changing nothing, unless the post is still
    a draft nobody reviews when the row is held.
    """
    _change_check(by, post)
    if publish_at is not None and post.published_at is not None and not roles.may_publish(by):
        raise NotAllowed(f"{by} may not schedule")
    post.title = title
    post.content = content
    if post.submitted_at is not None and post.author_id == by.pk:
        post.submitted_at = (
            None  # Changed by its writer: out of the queue until submitted again, never published unseen.
        )
    _quota_check(post.author, draft=post)
    post.prepare()  # Rendering is CPU work: before the transaction, never inside it.
    if planned_slug is not None and not post.is_published:
        post.planned_slug = planned_slug
    if publish_at is not None and not post.is_published and post.published_at is not None:
        post.published_at = max(publish_at, timezone.now())
    with transaction.atomic():
        if revision is not None or drafts_only:
            _held_check(by=by, post=post, revision=revision, overwrite=overwrite, drafts_only=drafts_only)
        post.save()
        if tags is not None:
            post_tags_set(post=post, names=tags)
        if post.is_published:
            pages_changed()
        _subscribers_mail(post)
    if post.is_published:
        post_activity_owe(post=post, change="update")
    return post


class Conflict(Exception):
    """The post changed since the writer's text was based on it: nothing saved; `saved` is the post as it is now."""

    def __init__(self, saved: Post) -> None:
        super().__init__(
            f"“{saved.title}” was saved elsewhere (revision {saved.revision}) since this text was based on it."
        )
        self.saved = saved


class NotADraft(Exception):
    """Published, scheduled or in review: its text changes only with the Save button (the editor keeps it meanwhile)."""


def _held_check(*, by: User, post: Post, revision: int | None, overwrite: bool, drafts_only: bool) -> None:
    """
    In the saving transaction, the row held: NotADraft if an autosave finds
    the post published or in review since it was read (saving the copy read
    before would undo that), Conflict if it moved past `revision`, unless overwriting.
    """
    saved = (
        Post.objects.select_for_update()
        .only("title", "content", "revision", "updated_at", "published_at", "submitted_at")
        .get(pk=post.pk)
    )
    if drafts_only and (saved.published_at is not None or saved.submitted_at is not None):
        raise NotADraft(f"post {post.pk} is no longer a draft")
    if revision is None or saved.revision == revision or (saved.title, saved.content) == (post.title, post.content):
        post.revision = saved.revision
        return
    if not overwrite:
        raise Conflict(saved)
    _version_keep(
        PostVersion(
            post=post,
            title=saved.title,
            content=saved.content,
            revision=saved.revision,
            saved_at=saved.updated_at,
            set_aside_by=by,
        )
    )
    post.revision = saved.revision


def _version_keep(version: PostVersion) -> None:
    """Keep a version set aside (in the caller's transaction), and the post's newest VERSIONS_KEPT of them."""
    version.save()
    stale = PostVersion.objects.filter(post=version.post).values_list("pk", flat=True)[VERSIONS_KEPT:]
    PostVersion.objects.filter(pk__in=list(stale)).delete()


def post_version_set_aside(*, by: User, post: Post, title: str, content: str, revision: int) -> PostVersion:
    """
    Keep a tab's text that its writer chose not to save over the newer
    version (the conflict's other side), among the post's versions set
    aside: both sides of a conflict are kept whichever wins.
    """
    _change_check(by, post)
    version = PostVersion(
        post=post, title=single_line(title) or post.title, content=xml_chars_only(content), revision=revision,
        saved_at=timezone.now(), set_aside_by=by,
    )  # fmt: skip
    _quota_check(post.author, draft=post, adding=len(version.content))
    with transaction.atomic():
        _version_keep(version)
    return version


def post_publish(*, by: User, post: Post, publish_at: datetime | None = None) -> Post:
    """Publish now (or at `publish_at`, scheduled): the writer's own post, or anyone's for an Editor."""
    _change_check(by, post)
    _publish_check(by)
    _actor_ready(post.author)
    if post.published_at is None:
        _quota_check(by, publish=True)  # The one who publishes: an Editor's decision has no quota.
    if not post.is_published:
        post.published_at = max(publish_at or timezone.now(), timezone.now())
        post.submitted_at = None
        post.save(update_fields=["published_at", "submitted_at", "updated_at"])
        pages_changed()
        if post.is_published:
            post_activity_owe(post=post, change="create")
    _subscribers_mail(post)
    return post


def posts_release() -> list[Post]:
    """
    Give each scheduled post whose time has come its public address (from
    its title or planned slug), which publishes it, and owe its subscribers'
    mail. Until then it had a private address, like a draft: a title slug
    taken in advance would show anyone who publishes the same title (as "-2"
    on theirs) that the scheduled post exists. Run every minute by
    blog.tasks; each post in a short transaction of its own, read again
    inside it, so a post moved to later (or deleted) meanwhile is left be,
    and one that fails does not hold back the others.
    A post scheduled again after it had an address (unpublished, then
    scheduled) needs no release: its time alone makes it public. Every kept
    page is forgotten when such a time passed since the last run.
    """
    now = timezone.now()
    since = pages.clock_read("posts-due") or now - timedelta(seconds=settings.PAGE_CACHE_SECONDS)
    released = []
    for pk in Post.objects.due_unreleased().values_list("pk", flat=True):
        try:
            with transaction.atomic():
                post = Post.objects.select_for_update().due_unreleased().filter(pk=pk).first()
                if post is None:
                    continue
                post.save(update_fields=["slug", "updated_at"])
                pages_changed()
        except DatabaseError:
            logger.exception("could not publish scheduled post %s; the next run tries again", pk)
            continue
        _subscribers_mail(post)
        post_activity_owe(post=post, change="create")
        released.append(post)
    if Post.objects.published().filter(published_at__gt=since, published_at__lte=now).exists():
        pages_changed()
    pages.clock_write("posts-due", now)  # Only once done: a run that failed is looked at again.
    return released


def post_delete(*, by: User, post: Post) -> None:
    """Delete a post with its tallies; the tags it leaves unused stay for its writer's next post."""
    _change_check(by, post)
    public, url = post.is_published, settings.SITE_URL + post.get_absolute_url()
    with transaction.atomic():
        if public:
            # Owed with the deletion (the Delete is a few lines of JSON): between the two, the reconciler
            # would take the post, public and no longer owed, for one awaiting its Create.
            post_activity_owe(post=post, change="delete", url=url)
        images_unlinked(post_ids=[post.pk])  # Its pictures were in use until now: kept another IMAGES_UNUSED_DAYS.
        post.delete()
    if public:
        pages_changed()


def post_unpublish(*, by: User, post: Post) -> Post:
    _change_check(by, post)
    if not roles.may_publish(by):
        raise NotAllowed(f"{by} may not unpublish")
    public, url = post.is_published, settings.SITE_URL + post.get_absolute_url()
    post.published_at = None
    post.save(update_fields=["published_at", "updated_at"])
    if public:
        pages_changed()
        post_activity_owe(post=post, change="delete", url=url)
    return post


def post_submit(*, by: User, post: Post) -> Post:
    """
    A writer puts their draft in the review queue: public nowhere, and each
    Editor who asks for it gets a mail. Raises NotAllowed for anyone but the
    writer of a draft.
    """
    if post.author_id != by.pk or not roles.may_write(by) or post.published_at is not None:
        raise NotAllowed(f"{by} may not submit post {post.pk}")
    if post.submitted_at is not None:
        return post  # In the queue already: the Editors have been told once.
    with transaction.atomic():
        post.submitted_at, post.review_note = timezone.now(), ""
        post.save(update_fields=["submitted_at", "review_note", "updated_at"])
        editors = roles.reviewers().filter(review_mail=by.ReviewMail.EACH).exclude(pk=by.pk)
        owed = ReviewMail.objects.bulk_create(
            [
                ReviewMail(post=post, recipient=editor, email=editor.email, kind=ReviewMail.Kind.REQUEST)
                for editor in editors
            ]
        )
        deliveries_queue_on_commit(kind=REVIEW_MAIL, ids=[mail.pk for mail in owed])
    return post


class AlreadyDecided(Exception):
    """Another Editor decided on the post first, or its writer took it back to change it."""


def _review_check(by: User, post: Post) -> None:
    if not roles.may_review(by):
        raise NotAllowed(f"{by} may not review post {post.pk}")


def _review_take(post: Post) -> None:
    """
    Take the decision on a submitted post, once: a conditional UPDATE inside
    the caller's transaction, so two Editors (or one double click) never both
    decide, and an edit by its writer since (which takes it out of the queue)
    is never published unseen.
    """
    if not Post.objects.submitted().filter(pk=post.pk).update(submitted_at=None):
        raise AlreadyDecided(post.pk)
    post.submitted_at = None


def _review_result_owe(post: Post, kind: str) -> None:
    mail = ReviewMail.objects.create(
        post=post, recipient=post.author, email=post.author.email, kind=kind, note=post.review_note
    )
    deliveries_queue_on_commit(kind=REVIEW_MAIL, ids=[mail.pk])


def post_review_publish(*, by: User, post: Post, publish_at: datetime | None = None) -> Post:
    """An Editor publishes a submitted post, now or at `publish_at`; its writer gets a mail."""
    _review_check(by, post)
    with transaction.atomic():
        _review_take(post)
        post = post_publish(by=by, post=post, publish_at=publish_at)
        _review_result_owe(post, ReviewMail.Kind.PUBLISHED)
    return post


def post_review_return(*, by: User, post: Post, note: str) -> Post:
    """An Editor sends a submitted post back to its writer with a note; it is a draft again, and they get a mail."""
    _review_check(by, post)
    with transaction.atomic():
        _review_take(post)
        post.review_note = note.strip()
        post.save(update_fields=["submitted_at", "review_note", "updated_at"])
        _review_result_owe(post, ReviewMail.Kind.RETURNED)
    return post


class SubscriptionLinkInvalid(Exception):
    """A confirmation link that is tampered with, expired, or sent before the reader unsubscribed."""


def subscriber_add(*, author: User | None, email: str) -> None:
    """
    A reader asks for `author`'s new posts (every author's, with None) at `email` (normalised): owe them a
    confirmation mail, unless that address is subscribed already. Returns
    nothing on purpose: the answer to the reader must not depend on it.
    """
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(author=author, email=email)
        # Two requests for one address take turns here, so the second sees the first's confirmation.
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.state == "confirmed":
            return
        if subscriber.unsubscribed_at is not None:
            # Back after leaving: confirmed anew, and mailed only posts published from then on.
            subscriber.unsubscribed_at = subscriber.confirmed_at = None
            subscriber.save(update_fields=["unsubscribed_at", "confirmed_at"])
        confirmation = SubscriptionConfirmation.objects.create(subscriber=subscriber)
        deliveries_queue_on_commit(kind=SUBSCRIPTION_CONFIRMATION, ids=[confirmation.pk])


def subscriber_to_confirm(*, token: str) -> Subscriber:
    """The subscriber a confirmation link is for (nothing written), or SubscriptionLinkInvalid."""
    try:
        confirmation_id = confirmation_token_read(token, max_age=timedelta(days=SUBSCRIPTION_CONFIRM_DAYS))
    except TokenInvalid as exc:
        raise SubscriptionLinkInvalid from exc
    found = SubscriptionConfirmation.objects.select_related("subscriber__author").filter(pk=confirmation_id)
    if (confirmation := found.first()) is None:
        raise SubscriptionLinkInvalid
    if confirmation.subscriber.unsubscribed_at is not None:
        raise SubscriptionLinkInvalid  # Left since: only a new request subscribes again.
    return confirmation.subscriber


def subscriber_confirm(*, token: str) -> Subscriber:
    """Follow a confirmation link: from now on, the author's new posts go to the reader. Idempotent."""
    subscriber = subscriber_to_confirm(token=token)
    Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    subscriber.refresh_from_db(fields=["confirmed_at"])
    return subscriber


def subscriber_unsubscribe(*, subscriber_id: int) -> None:
    """
    No more new posts to this reader, including mails already owed. A post
    owed to them as an author's subscriber, and not sent yet, goes to the
    same address's subscription to the whole site instead, if that one was
    owed it too (the fan-out owed it once, to the author's subscription).
    """
    with transaction.atomic():
        if not Subscriber.objects.filter(pk=subscriber_id, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        ):
            return
        left = Subscriber.objects.get(pk=subscriber_id)
        site = Subscriber.objects.confirmed().filter(author__isnull=True, email=left.email).first()
        if left.author_id is None or site is None:
            return
        pending = PostMail.objects.filter(subscriber=left, post__published_at__gte=site.confirmed_at).undelivered()
        posts = list(pending.values_list("post_id", flat=True))
        PostMail.objects.bulk_create([PostMail(post_id=pk, subscriber=site) for pk in posts], ignore_conflicts=True)
        moved = PostMail.objects.filter(subscriber=site, post_id__in=posts).due().values_list("pk", flat=True)
        if moved_ids := list(moved):
            deliveries_queue_on_commit(kind=POST_MAIL, ids=moved_ids)


def post_read_record(*, post_id: int, visitor: str, source: str = "", day: date | None = None) -> int | None:
    """
    Count a read of post `post_id` by `visitor` (blog.readers.visitor_id) on `day`
    (today), once, and not past READERS_PER_ADDRESS visitors at its
    address: in the total, the day's tally and, with a `source`, the day's
    tally of where readers came from. Returns the new total, or None
    when this visitor had read the post that day already.

    One short IMMEDIATE transaction of in-database statements: the read row's
    insert decides, through its unique constraint, whether this is the
    visitor's first read (no read-then-write race between workers), and the
    counters are in-place updates (an upsert for a day's first read) and an
    UPDATE ... RETURNING, so the page needs no extra read. A counted read
    writes five pages. This is the hottest write on the site (see docs/benchmarks.md).
    """
    on = (day or timezone.localdate()).isoformat()
    read: dict[str, Value] = {"post_id": post_id, "day": on, "visitor": visitor}
    same_address = PostRead.objects.filter(post_id=post_id, day=on).from_address_of(visitor)
    # A reload, or an address that has read its fill, is answered without
    # taking the write lock. The checks inside the lock still decide.
    if row_exists(table=PostRead._meta.db_table, where=read) or same_address.count() >= READERS_PER_ADDRESS:
        return None
    with one_writer(), transaction.atomic():
        if same_address.count() >= READERS_PER_ADDRESS:
            return None
        if not row_insert_once(table=PostRead._meta.db_table, values=read):
            return None
        count_up(table=DailyViews._meta.db_table, column="views", key={"post_id": post_id, "day": on})
        if source:
            count_up(
                table=DailySources._meta.db_table,
                column="reads",
                key={"post_id": post_id, "day": on, "source": source},
            )
        return count_up_existing(table=Post._meta.db_table, column="view_count", key={"id": post_id})


def report_plan(*, day: date, dry_run: bool = False) -> list[Report]:
    """
    Owe every author a report for `day` (a day that is over) and queue the
    sends, in short transactions (blog.reports.report_owe). A dry run does the
    same work and rolls each batch back, so it shows exactly what a real run
    would queue. Raises reports.ReportDayNotOver.
    """
    owed = reports.report_owe(day=day, dry_run=dry_run)
    if not dry_run:
        deliveries_queue_on_commit(kind=REPORT, ids=[report.pk for report in owed])
    return owed
