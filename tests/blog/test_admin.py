from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.models import MailCounts, Post, PostMail, Report, Subscriber, SubscriptionConfirmation
from users.models import AccountMail

pytestmark = pytest.mark.django_db


def test_post_admin_has_prepopulated_slug_and_readonly_views(admin_client, post):
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "prepopulated" in page
    assert 'name="view_count"' not in page
    assert "View on site" in page  # A post has a page on the site; bookkeeping rows do not.


def test_post_state_filter(admin_client, post, make_post):
    make_post(title="Unfinished", published_at=None)
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(days=1))
    url = reverse("admin:blog_post_changelist")
    drafts = admin_client.get(url, {"state": "draft"}).content.decode()
    published = admin_client.get(url, {"state": "published"}).content.decode()
    assert "Unfinished" in drafts and "Scheduled" in drafts and "Hello world" not in drafts
    assert "Hello world" in published and "Unfinished" not in published and "Scheduled" not in published


def test_reports_have_no_view_on_site_button(admin_client, author):
    report = Report.objects.create(author=author, day=timezone.localdate() - timedelta(days=1))
    page = admin_client.get(reverse("admin:blog_report_change", args=[report.pk])).content.decode()
    assert "View on site" not in page


def _subscribers(author, n):
    return [
        Subscriber.objects.create(author=author, email=f"r{i}@example.org", confirmed_at=timezone.now())
        for i in range(n)
    ]


def test_post_list_counts_each_posts_mails_sent_pending_and_failed(admin_client, author, post):
    a, b, c, d = _subscribers(author, 4)
    PostMail.objects.create(post=post, subscriber=a, sent_at=timezone.now())
    PostMail.objects.create(post=post, subscriber=b, sent_at=timezone.now())
    PostMail.objects.create(post=post, subscriber=c, failed_at=timezone.now(), last_error="550 no such user")
    PostMail.objects.create(post=post, subscriber=d)
    other = Post.objects.create(author=author, title="No mail yet", content="x")
    response = admin_client.get(reverse("admin:blog_post_changelist"))
    assert response.status_code == 200
    rows = {row.pk: row.mail_counts for row in response.context["cl"].result_list}
    assert rows == {post.pk: MailCounts(sent=2, pending=1, failed=1), other.pk: MailCounts()}
    page = response.content.decode()
    assert 'class="field-mails_sent">2<' in page and 'class="field-mails_failed">1<' in page


def test_subscribers_are_listed_and_unsubscribed_through_the_service(admin_client, author, post):
    waiting = Subscriber.objects.create(author=author, email="waiting@example.org")
    [reader] = _subscribers(author, 1)
    url = reverse("admin:blog_subscriber_changelist")
    page = admin_client.get(url).content.decode()
    assert "waiting@example.org" in page and "unconfirmed" in page and "confirmed" in page
    assert admin_client.get(reverse("admin:blog_subscriber_add")).status_code == 403
    response = admin_client.post(url, {"action": "unsubscribe", "_selected_action": [reader.pk]}, follow=True)
    assert "Unsubscribed 1 reader(s)." in response.content.decode()
    reader.refresh_from_db()
    waiting.refresh_from_db()
    assert reader.state == "unsubscribed" and waiting.state == "unconfirmed"


def test_the_mail_queue_page_counts_every_kind_of_mail(admin_client, author, user, post):
    [reader] = _subscribers(author, 1)
    PostMail.objects.create(post=post, subscriber=reader)
    SubscriptionConfirmation.objects.create(subscriber=Subscriber.objects.create(author=author, email="w@example.org"))
    AccountMail.objects.create(user=user, email=user.email, kind=AccountMail.Kind.PASSWORD_RESET)
    AccountMail.objects.create(user=user, email=user.email, kind=AccountMail.Kind.ACCOUNT_EXISTS)
    Report.objects.create(author=author, day=timezone.localdate() - timedelta(days=1))
    page = admin_client.get(reverse("admin:queue")).content.decode()
    for name in ("account mails", "email verifications", "reports", "post mails", "subscription confirmations"):
        assert name in page.lower(), name
    counts = {
        kind["name"]: kind["unsent"] for kind in admin_client.get(reverse("admin:queue")).context["queue"]["deliveries"]
    }
    assert counts["account mails"] == 2 and counts["post mails"] == 1 and counts["subscription confirmations"] == 1


def test_the_post_list_asks_a_constant_number_of_queries_walking_the_ordering_index(
    admin_client, author, make_post, django_assert_max_num_queries
):
    for n in range(30):
        make_post(title=f"Post {n}", days_ago=n)
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(reverse("admin:blog_post_changelist"))
    few = len(queries)
    for n in range(30, 90):
        make_post(title=f"Post {n}", days_ago=n)
    with django_assert_max_num_queries(few):  # The mail counts of the page's posts only, in one query.
        response = admin_client.get(reverse("admin:blog_post_changelist"))
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "DATE_TRUNC" not in sql and "DJANGO_DATETIME_TRUNC" not in sql  # No date hierarchy over every row.
    assert response.context["cl"].result_list[0].title == "Post 0"  # Newest first.
