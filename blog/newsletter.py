"""
New posts by mail, on the consumer's side: the confirmation mail of a new
subscriber (double opt-in), the fan-out of a published post into one owed
mail per subscriber (yielding batches for the caller to queue), and how both
mails are rendered. Declared as delivery kinds in blog/deliveries.py; the
registry's sender and reconciler do the rest.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blog.models import SUBSCRIPTION_CONFIRM_DAYS, Post, PostMail, Subscriber, SubscriptionConfirmation
from site import unsubscribe
from site.mail import mail_render
from site.models import site_settings
from site.tokens import confirmation_token_make
from site.unsubscribe import unsubscribe_headers, unsubscribe_url

# Subscribers owed a post per transaction: a post to 10,000 readers is 20
# short write transactions, and never more than this many ids in memory.
FAN_OUT_BATCH = 500
# A fan-out renews its lease every batch; a consumer killed mid-way leaves
# the rest to the next run once this passes.
FAN_OUT_LEASE = timedelta(minutes=2)


def subscription_confirmation_render(confirmation: SubscriptionConfirmation) -> EmailMessage:
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


def _fan_out_lease_take(post_id: int) -> bool:
    """Take (or renew) the lease on a post's fan-out; False if it is done or another run holds it."""
    now = timezone.now()
    return bool(
        Post.objects.awaiting_mail()
        .filter(pk=post_id)
        .exclude(subscribers_owing_until__gt=now)
        .update(subscribers_owing_until=now + FAN_OUT_LEASE)
    )


def post_mails_owe(*, post_id: int) -> Iterator[list[int]]:
    """
    Owe a published post to every subscriber of its author who had confirmed
    by its publication, in batches, yielding each batch's due mail ids once
    it is committed (the caller queues their sends); then mark the post done.
    Resumable: mails already owed are not made again (one row per post and
    subscriber), and a run killed mid-way is taken over after FAN_OUT_LEASE.
    """
    if not _fan_out_lease_take(post_id):
        return
    post = Post.objects.get(pk=post_id)
    recipients = Subscriber.objects.owed(post).order_by("pk").values_list("pk", flat=True)
    after = 0
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
        yield due
        after = batch[-1]
    Post.objects.filter(pk=post_id).update(subscribers_owed_at=timezone.now(), subscribers_owing_until=None)


def post_mails_owe_all() -> Iterator[list[int]]:
    """Fan out every published post whose subscribers are not owed it yet: scheduled, admin- or shell-published."""
    # Posts whose author has nobody to mail (an import, a blog without
    # subscribers) are done in one statement, not one fan-out each.
    if not Subscriber.objects.confirmed().filter(author__isnull=True).exists():  # No one reads the whole site.
        Post.objects.awaiting_mail().exclude(author__in=Subscriber.objects.confirmed().values("author")).update(
            subscribers_owed_at=timezone.now()
        )
    for post_id in list(Post.objects.awaiting_mail().values_list("pk", flat=True)):
        yield from post_mails_owe(post_id=post_id)


def post_mail_render(post_mail: PostMail) -> EmailMessage:
    post, subscriber = post_mail.post, post_mail.subscriber
    leave = unsubscribe_url(url_name="blog:subscriber-unsubscribe", kind=unsubscribe.NEW_POSTS, pk=subscriber.pk)
    site_wide = subscriber.author_id is None
    return mail_render(
        template="blog/email/post_mail",
        context={"post": post, "author": post.author, "site_wide": site_wide, "unsubscribe_url": leave},
        to=subscriber.email,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        headers=unsubscribe_headers(
            url=leave,
            list_name=(
                f"New posts on {site_settings().title}"
                if site_wide
                else f"New posts by {post.author.public_name} on {site_settings().title}"
            ),
            list_local="site.posts" if site_wide else f"author-{subscriber.author_id}.posts",
        ),
    )
