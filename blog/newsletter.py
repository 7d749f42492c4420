"""
New posts by mail, on the consumer's side: the confirmation mail of a new
subscriber (double opt-in), the fan-out of a published post into one owed
mail per subscriber, sending those mails, and reconciling. Called by
blog/tasks.py and blog/services.py; never imports tasks, so the fan-out is
handed a function that queues the sends.
"""

from collections.abc import Callable, Collection
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blog.models import SUBSCRIPTION_CONFIRM_DAYS, Post, PostMail, Subscriber, SubscriptionConfirmation
from site import unsubscribe
from site.claims import claims_release_dead
from site.mail import mail_render
from site.outbox import SendResult, delivery_send, owed_ids_not_in_flight
from site.unsubscribe import unsubscribe_headers, unsubscribe_url

CONFIRM_SALT = "blog.subscription"
# Subscribers owed a post per transaction: a post to 10,000 readers is 20
# short write transactions, and never more than this many ids in memory.
FAN_OUT_BATCH = 500
# A fan-out renews its lease every batch; a consumer killed mid-way leaves
# the rest to the next run once this passes.
FAN_OUT_LEASE = timedelta(minutes=2)

Enqueue = Callable[[list[int]], None]


class ConfirmationInvalid(Exception):
    pass


def confirmation_token_make(*, confirmation_id: int) -> str:
    return signing.dumps(confirmation_id, salt=CONFIRM_SALT)


def confirmation_token_read(token: str) -> int:
    """The confirmation's id, or ConfirmationInvalid (tampered, or older than SUBSCRIPTION_CONFIRM_DAYS)."""
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=SUBSCRIPTION_CONFIRM_DAYS))
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise ConfirmationInvalid(str(exc)) from exc
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise ConfirmationInvalid("malformed token")
    return pk


def subscription_confirmation_send(*, confirmation_id: int) -> SendResult:
    def build(confirmation: SubscriptionConfirmation) -> EmailMessage:
        subscriber = confirmation.subscriber
        token = confirmation_token_make(confirmation_id=confirmation.pk)
        return mail_render(
            template="blog/email/subscription_confirm",
            context={
                "author": subscriber.author,
                "confirm_path": reverse("blog:subscriber-confirm", kwargs={"token": token}),
                "days": SUBSCRIPTION_CONFIRM_DAYS,
            },
            to=subscriber.email,
            from_email=settings.NEWSLETTER_FROM_EMAIL,
        )

    return delivery_send(
        queryset=SubscriptionConfirmation.objects.owed().select_related("subscriber__author"),
        pk=confirmation_id,
        build_message=build,
    )


def subscription_confirmation_reconcile(*, in_flight_ids: Collection[int]) -> list[int]:
    claims_release_dead(model=SubscriptionConfirmation)
    return owed_ids_not_in_flight(queryset=SubscriptionConfirmation.objects.owed(), in_flight_ids=in_flight_ids)


def _fan_out_lease_take(post_id: int) -> bool:
    """Take (or renew) the lease on a post's fan-out; False if it is done or another run holds it."""
    now = timezone.now()
    return bool(
        Post.objects.awaiting_mail()
        .filter(pk=post_id)
        .exclude(subscribers_owing_until__gt=now)
        .update(subscribers_owing_until=now + FAN_OUT_LEASE)
    )


def post_mails_owe(*, post_id: int, enqueue: Enqueue) -> int:
    """
    Owe a published post to every subscriber of its author who had confirmed
    by its publication, in batches, queueing each batch's sends through
    `enqueue(ids)` once it is committed; then mark the post done. Resumable:
    mails already owed are not made again (one row per post and subscriber),
    and a run killed mid-way is taken over after FAN_OUT_LEASE. Returns how
    many sends it queued.
    """
    if not _fan_out_lease_take(post_id):
        return 0
    post = Post.objects.get(pk=post_id)
    recipients = Subscriber.objects.owed(post).order_by("pk").values_list("pk", flat=True)
    after, queued = 0, 0
    while True:
        with transaction.atomic():
            batch = list(recipients.filter(pk__gt=after)[:FAN_OUT_BATCH])
            if not batch:
                break
            PostMail.objects.bulk_create(
                [PostMail(post_id=post_id, subscriber_id=pk) for pk in batch], ignore_conflicts=True
            )
            due = list(
                PostMail.objects.for_post(post)
                .filter(subscriber_id__gt=after, subscriber_id__lte=batch[-1])
                .due()
                .values_list("pk", flat=True)
            )
            Post.objects.filter(pk=post_id).update(subscribers_owing_until=timezone.now() + FAN_OUT_LEASE)
        enqueue(due)
        after, queued = batch[-1], queued + len(due)
    Post.objects.filter(pk=post_id).update(subscribers_owed_at=timezone.now(), subscribers_owing_until=None)
    return queued


def post_mails_owe_all(*, enqueue: Enqueue) -> list[int]:
    """Fan out every published post whose subscribers are not owed it yet: scheduled, admin- or shell-published."""
    # Posts whose author has nobody to mail (an import, a blog without
    # subscribers) are done in one statement, not one fan-out each.
    Post.objects.awaiting_mail().exclude(author__in=Subscriber.objects.confirmed().values("author")).update(
        subscribers_owed_at=timezone.now()
    )
    post_ids = list(Post.objects.awaiting_mail().values_list("pk", flat=True))
    for post_id in post_ids:
        post_mails_owe(post_id=post_id, enqueue=enqueue)
    return post_ids


def post_mail_send(*, mail_id: int) -> SendResult:
    def build(post_mail: PostMail) -> EmailMessage:
        post, subscriber = post_mail.post, post_mail.subscriber
        leave = unsubscribe_url(url_name="blog:subscriber-unsubscribe", kind=unsubscribe.NEW_POSTS, pk=subscriber.pk)
        return mail_render(
            template="blog/email/post_mail",
            context={"post": post, "author": subscriber.author, "unsubscribe_url": leave},
            to=subscriber.email,
            from_email=settings.NEWSLETTER_FROM_EMAIL,
            headers=unsubscribe_headers(
                url=leave,
                list_name=f"New posts by {subscriber.author.public_name} on {settings.SITE_NAME}",
                list_local=f"author-{subscriber.author_id}.posts",
            ),
        )

    return delivery_send(
        queryset=PostMail.objects.owed().select_related("post", "subscriber__author"),
        pk=mail_id,
        build_message=build,
    )


def post_mail_reconcile(*, in_flight_ids: Collection[int]) -> list[int]:
    """Free dead claims and return the ids of owed new-post mails that no queued task covers."""
    claims_release_dead(model=PostMail)
    return owed_ids_not_in_flight(queryset=PostMail.objects.owed(), in_flight_ids=in_flight_ids)
