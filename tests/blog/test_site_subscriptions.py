"""Readers subscribing to the whole site: every author's new posts, once each, with the same opt-in and leaving."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from blog import newsletter, services
from blog.models import Post, PostMail, Subscriber
from blog.subscriber_views import SUBSCRIBE_PER_EMAIL
from site.tasks import deliveries_reconcile_task

pytestmark = pytest.mark.django_db


def _link(message, path_part):
    return re.search(rf"https?://[^/\s]+(/{path_part}/[^\s\"<]+/)", message.body).group(1)


def test_a_reader_subscribes_to_the_site_from_the_front_page_and_gets_every_authors_posts(
    author, make_user, django_capture_on_commit_callbacks
):
    client = Client()
    assert 'action="/subscribe/"' in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/subscribe/", {"email": "Reader@Example.org"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    [confirmation] = mail.outbox
    confirm = _link(confirmation, "subscriptions/confirm")
    assert "every writer" in client.get(confirm).content.decode()
    assert "whoever writes it" in client.post(confirm).content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.author is None and subscriber.state == "confirmed"
    other = make_user(email="other@example.org", verified=True, display_name="Other")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(author=author, title="By the first", content="One.", publish=True)
        services.post_create(author=other, title="By the second", content="Two.", publish=True)
    assert sorted(m.subject for m in mail.outbox) == ["By the first", "By the second"]
    assert all(m.to == ["reader@example.org"] for m in mail.outbox)
    message = mail.outbox[0]
    assert "subscribed to new posts on" in message.body
    assert "site.posts" in message.extra_headers["List-Id"]


def test_a_reader_of_the_site_and_of_an_author_gets_each_post_once(author, django_capture_on_commit_callbacks):
    day_ago = timezone.now() - timezone.timedelta(days=1)
    Subscriber.objects.create(author=None, email="both@example.org", confirmed_at=day_ago)
    Subscriber.objects.create(author=author, email="both@example.org", confirmed_at=day_ago)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(author=author, title="Once", content="Only once.", publish=True)
    assert [m.to for m in mail.outbox] == [["both@example.org"]]
    assert PostMail.objects.filter(post=post).count() == 1
    assert "subscribed to new posts by" in mail.outbox[0].body  # As the author's subscriber.


def test_a_site_subscription_confirmed_after_a_post_was_published_is_not_owed_it(author, make_post):
    post = make_post(title="Old news", days_ago=2)
    Subscriber.objects.create(author=None, email="late@example.org", confirmed_at=timezone.now())
    assert not Subscriber.objects.owed(post).exists()


def test_the_author_subscription_confirmed_late_does_not_hide_the_site_one(author, make_post):
    post = make_post(title="Middle", days_ago=1)
    early = Subscriber.objects.create(
        author=None, email="r@example.org", confirmed_at=timezone.now() - timezone.timedelta(days=3)
    )
    Subscriber.objects.create(author=author, email="r@example.org", confirmed_at=timezone.now())
    assert list(Subscriber.objects.owed(post)) == [early]


def test_asking_twice_is_one_subscription_and_the_limit_per_address_holds(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(SUBSCRIBE_PER_EMAIL.limit):
            assert client.post("/subscribe/", {"email": "same@example.org"}).status_code == 200
    assert Subscriber.objects.count() == 1
    assert client.post("/subscribe/", {"email": "same@example.org"}).status_code == 429


def test_leaving_the_site_subscription_stops_its_mail(author, django_capture_on_commit_callbacks):
    subscriber = Subscriber.objects.create(
        author=None, email="leaving@example.org", confirmed_at=timezone.now() - timezone.timedelta(days=1)
    )
    services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(author=author, title="After", content="x", publish=True)
    assert mail.outbox == []


def test_the_reconciler_owes_site_readers_posts_of_authors_no_one_follows(author):
    Subscriber.objects.create(
        author=None, email="all@example.org", confirmed_at=timezone.now() - timezone.timedelta(days=1)
    )
    post = Post.objects.create(author=author, title="From the shell", content="x")
    batches = list(newsletter.post_mails_owe_all())
    assert sum(len(batch) for batch in batches) == 1 and PostMail.objects.get().post == post
    deliveries_reconcile_task.call_local()


def test_leaving_the_author_before_the_send_moves_the_post_to_the_site_subscription(
    author, django_capture_on_commit_callbacks, monkeypatch
):
    # Found by a review: the fan-out owes a reader subscribed both ways once, as the author's subscriber.
    day_ago = timezone.now() - timezone.timedelta(days=1)
    Subscriber.objects.create(author=None, email="both@example.org", confirmed_at=day_ago)
    mine = Subscriber.objects.create(author=author, email="both@example.org", confirmed_at=day_ago)
    with django_capture_on_commit_callbacks(execute=False):  # Owed, the send not run yet.
        post = services.post_create(author=author, title="In between", content="x", publish=True)
    list(newsletter.post_mails_owe(post_id=post.pk))
    assert PostMail.objects.filter(subscriber=mine).exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.subscriber_unsubscribe(subscriber_id=mine.pk)
    assert [m.subject for m in mail.outbox] == ["In between"]
    assert "subscribed to new posts on" in mail.outbox[0].body
