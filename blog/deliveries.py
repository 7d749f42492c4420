"""The blog's mail kinds: reports and new posts are bulk, taken after anything a person is waiting for."""

from blog import newsletter, reports, review
from blog.federation.deliveries import ACTIVITY
from blog.models import PostMail, Report, ReviewDigest, ReviewMail, SubscriptionConfirmation
from site.registry import DeliveryKind, Priority
from site.transports import SMTP

REPORT = DeliveryKind(
    name="report",
    model=Report,
    owed=Report.objects.owed,
    related=("author",),
    render=reports.report_render,
    transport=SMTP,
    priority=Priority.BULK,
    discover=reports.reports_plan_missed,
)

SUBSCRIPTION_CONFIRMATION = DeliveryKind(
    name="subscription-confirmation",
    model=SubscriptionConfirmation,
    owed=SubscriptionConfirmation.objects.owed,
    related=("subscriber__author",),
    render=newsletter.subscription_confirmation_render,
    transport=SMTP,
    # A reader is waiting for it, as for a verification mail.
    priority=Priority.ACCOUNT,
)

POST_MAIL = DeliveryKind(
    name="post-mail",
    model=PostMail,
    owed=PostMail.objects.owed,
    related=("post__author", "subscriber"),
    render=newsletter.post_mail_render,
    transport=SMTP,
    priority=Priority.BULK,
    discover=newsletter.post_mails_owe_all,
)

REVIEW_MAIL = DeliveryKind(
    name="review-mail",
    model=ReviewMail,
    owed=ReviewMail.objects.owed,
    related=("post__author", "recipient"),
    render=review.review_mail_render,
    transport=SMTP,
    priority=Priority.TEAM,
)

REVIEW_DIGEST = DeliveryKind(
    name="review-digest",
    model=ReviewDigest,
    owed=ReviewDigest.objects.owed,
    related=("recipient",),
    render=review.review_digest_render,
    transport=SMTP,
    priority=Priority.TEAM,
    discover=review.review_digests_owe,
)

KINDS = (REPORT, SUBSCRIPTION_CONFIRMATION, POST_MAIL, REVIEW_MAIL, REVIEW_DIGEST, ACTIVITY)
