"""
The review queue's mail, on the consumer's side: how a review request and a
decision are rendered. Declared as a delivery kind in blog/deliveries.py.
"""

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from blog.models import Post, ReviewDigest, ReviewMail
from site.mail import mail_render
from users import roles

# How many waiting posts a digest lists by name.
DIGEST_POSTS = 20


def review_mail_render(mail: ReviewMail) -> EmailMessage:
    post = mail.post
    context = {
        "post": post,
        "writer": post.author,
        "recipient": mail.recipient,
        "note": mail.note,
        "review_path": reverse("blog:review-queue"),
        "post_path": post.get_absolute_url(),
        "edit_path": reverse("blog:post-edit", kwargs={"slug": post.slug}),
    }
    return mail_render(template=f"blog/email/{mail.kind}", context=context, to=mail.email)


def review_digests_owe(now: datetime | None = None) -> Iterator[list[int]]:
    """
    Once REPORT_TIME has passed each day, owe every Editor who asked for a
    daily list (and has none yet today) that day's digest, when anything
    waits for review. The reconciler queues them with the rest of what is
    owed, so this yields nothing of its own.
    """
    now = timezone.localtime(now)
    if now < now.replace(hour=settings.REPORT_HOUR, minute=settings.REPORT_MINUTE, second=0, microsecond=0):
        return
    if not Post.objects.submitted().exists():
        return
    day = now.date()
    editors = roles.reviewers().filter(review_mail="daily").exclude(review_digests__day=day)
    ReviewDigest.objects.bulk_create(
        [ReviewDigest(recipient_id=pk, email=email, day=day) for pk, email in editors.values_list("pk", "email")],
        ignore_conflicts=True,
    )
    yield from ()


def review_digest_render(digest: ReviewDigest) -> EmailMessage:
    waiting = Post.objects.submitted().select_related("author")
    context = {
        "recipient": digest.recipient,
        "count": waiting.count(),
        "posts": list(waiting[:DIGEST_POSTS]),
        "review_path": reverse("blog:review-queue"),
        "profile_path": reverse("users:profile"),
    }
    return mail_render(template="blog/email/review_digest", context=context, to=digest.email)
