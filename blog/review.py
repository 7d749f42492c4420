"""
The review queue's mail, on the consumer's side: how a review request and a
decision are rendered. Declared as a delivery kind in blog/deliveries.py.
"""

from django.core.mail import EmailMessage
from django.urls import reverse

from blog.models import ReviewMail
from site.mail import mail_render


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
