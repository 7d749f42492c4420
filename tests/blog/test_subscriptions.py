"""Readers subscribing to an author: the form, double opt-in, the fan-out of new posts, and leaving in one click."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog import newsletter, services
from blog.deliveries import POST_MAIL, SUBSCRIPTION_CONFIRMATION
from blog.models import Post, PostMail, Subscriber, SubscriptionConfirmation
from blog.subscriber_views import SUBSCRIBE_PER_EMAIL
from blog.tasks import posts_release_task
from site.models import RateLimitCounter
from site.outbox import delivery_send
from site.tasks import deliveries_reconcile_task
from site.tokens import confirmation_token_make
from tests.deliveries import reconciled

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_subscriber(author):
    """A confirmed subscriber of `author`, confirmed `days_ago` days back (1 by default)."""

    def make(email="reader@example.org", days_ago=1, **fields):
        fields.setdefault("author", author)
        fields.setdefault("confirmed_at", timezone.now() - timedelta(days=days_ago))
        return Subscriber.objects.create(email=email, **fields)

    return make


def _subscribe(client, author, email="reader@example.org", **extra):
    return client.post(f"/authors/{author.pk}/subscribe/", {"email": email}, **extra)


def _link(message, path_part):
    return re.search(rf"https?://[^/\s]+(/{path_part}/[^\s\"<]+/)", message.body).group(1)


def test_subscribing_sends_a_confirmation_and_counts_only_once_confirmed(
    client, author, post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _subscribe(client, author, "Reader@Example.ORG")
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.state) == ("reader@example.org", "unconfirmed")
    [confirm] = mail.outbox
    assert confirm.to == ["reader@example.org"]
    # Anyone can type any address: a mail to an unconfirmed one carries no text another user chose.
    html = confirm.alternatives[0][0]
    assert all(author.display_name not in text for text in (confirm.subject, confirm.body, html))
    path = _link(confirm, "subscriptions/confirm")

    page = client.get(path)  # A mail scanner following the link confirms nothing...
    assert page.status_code == 200 and author.public_name in page.content.decode()  # ...the page says whose posts.
    assert Subscriber.objects.get().state == "unconfirmed"
    response = Client().post(path)  # No cookie, no CSRF token: the link is the authorisation.
    assert response.status_code == 200 and "Subscribed" in response.content.decode()
    assert Subscriber.objects.get().state == "confirmed"
    assert Client().post(path).status_code == 200  # Twice is the same.


def test_the_answer_never_tells_whether_the_address_was_subscribed(
    client, author, post, make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="old@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = _subscribe(client, author, "old@example.org")
        new = _subscribe(client, author, "new@example.org")
    assert known.status_code == new.status_code == 200
    strip = lambda r, email: r.content.decode().replace(email, "ADDRESS")  # noqa: E731
    assert strip(known, "old@example.org") == strip(new, "new@example.org")
    assert [m.to for m in mail.outbox] == [["new@example.org"]]  # The subscribed address is not mailed again.


def test_bad_addresses_get_a_clear_message_and_change_nothing(client, author, post):
    for bad in ["", "not-an-address", "a@b", '"q"@example.org', "x" * 300 + "@example.org"]:
        response = _subscribe(client, author, bad)
        assert response.status_code == 400, bad
        assert 'class="errors"' in response.content.decode()
    assert not Subscriber.objects.exists() and mail.outbox == []
    # A NUL byte is refused with the whole request (site.middleware.refuse_nul)...
    assert _subscribe(client, author, "x\x00@example.org").status_code == 400
    assert not Subscriber.objects.exists()
    # ...other invisible and control characters are dropped at the edge, as for signup: one mailbox, one subscriber.
    assert _subscribe(client, author, "x\u200b\x07@example.org").status_code == 200
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["x@example.org"]


def test_only_authors_can_be_subscribed_to(client, user, post):
    assert _subscribe(client, user).status_code == 404  # No published post: not an author page.
    assert client.get(f"/authors/{post.author.pk}/subscribe/").status_code == 405
    assert not Subscriber.objects.exists()


def test_the_form_is_rate_limited_per_client_and_per_address(client, author, post):
    for n in range(SUBSCRIBE_PER_EMAIL.limit):
        assert _subscribe(client, author, "same@example.org", REMOTE_ADDR=f"198.51.100.{n}").status_code == 200
    response = _subscribe(client, author, "same@example.org", REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert SubscriptionConfirmation.objects.count() == SUBSCRIBE_PER_EMAIL.limit
    RateLimitCounter.objects.all().delete()
    for n in range(10):
        assert _subscribe(client, author, f"r{n}@example.org").status_code == 200
    assert _subscribe(client, author, "one-more@example.org").status_code == 429
    assert not Subscriber.objects.filter(email="one-more@example.org").exists()


def test_a_tampered_or_foreign_confirmation_link_confirms_nothing(client, author, post, make_subscriber):
    subscriber = make_subscriber(confirmed_at=None)
    confirmation = SubscriptionConfirmation.objects.create(subscriber=subscriber)
    token = confirmation_token_make(confirmation_id=confirmation.pk)
    for bad in [token[:-1] + ("A" if token[-1] != "A" else "B"), "x", token + "x"]:
        assert Client().post(f"/subscriptions/confirm/{bad}/").status_code == 400
    assert Subscriber.objects.get().confirmed_at is None


def test_a_new_post_goes_once_to_each_confirmed_subscriber(
    author, make_post, make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber("a@example.org")
    make_subscriber("b@example.org")
    make_subscriber("waiting@example.org", confirmed_at=None)
    make_subscriber("gone@example.org", unsubscribed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(author=author, title="Fresh", content="**Hello** readers.", publish=True)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Fresh" and "Hello readers." in message.body
    assert f"http://testserver{post.get_absolute_url()}" in message.body or post.get_absolute_url() in message.body
    # Published again (after unpublishing), nothing goes twice.
    services.post_unpublish(by=author, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_publish(by=author, post=post)
        deliveries_reconcile_task.call_local()
    assert len(mail.outbox) == 2 and PostMail.objects.sent().count() == 2


def test_posts_published_before_a_reader_confirmed_never_go_to_them(
    author, make_post, make_subscriber, django_capture_on_commit_callbacks
):
    old = make_post(title="Before", days_ago=3)
    Post.objects.filter(pk=old.pk).update(subscribers_owed_at=None)  # Not fanned out yet, as after a crash.
    make_subscriber("late@example.org", days_ago=1)
    deliveries_reconcile_task.call_local()
    assert mail.outbox == [] and not PostMail.objects.exists()
    assert Post.objects.get(pk=old.pk).subscribers_owed_at is not None


@pytest.mark.parametrize("how", ["shell", "schedule"])
def test_the_reconciler_mails_posts_published_outside_the_form(author, make_subscriber, how, monkeypatch):
    make_subscriber("a@example.org", days_ago=10)
    if how == "shell":
        post = Post.objects.create(author=author, title="From the shell", content="Hi.")
    else:
        post = Post.objects.create(
            author=author, title="Scheduled", content="Hi.", published_at=timezone.now() + timedelta(hours=1)
        )
        deliveries_reconcile_task.call_local()
        assert mail.outbox == []  # Not yet published.
        later = timezone.now() + timedelta(hours=1, minutes=1)
        monkeypatch.setattr(timezone, "now", lambda: later)
        posts_release_task.call_local()
    deliveries_reconcile_task.call_local()
    [message] = mail.outbox
    assert message.subject == post.title
    deliveries_reconcile_task.call_local()
    assert len(mail.outbox) == 1


def test_the_fan_out_goes_in_batches_and_resumes_where_it_stopped(author, post, make_subscriber, monkeypatch):
    Post.objects.filter(pk=post.pk).update(subscribers_owed_at=None)
    for n in range(7):
        make_subscriber(f"r{n}@example.org")
    monkeypatch.setattr(newsletter, "FAN_OUT_BATCH", 3)
    batches = []
    with pytest.raises(SystemExit):
        for batch in newsletter.post_mails_owe(post_id=post.pk):
            batches.append(batch)
            if len(batches) == 2:
                raise SystemExit("killed mid fan-out")
    assert [len(b) for b in batches] == [3, 3] and PostMail.objects.count() == 6
    # Another run finds the lease held by the dead one and leaves the post alone until it runs out.
    assert list(newsletter.post_mails_owe(post_id=post.pk)) == []
    Post.objects.filter(pk=post.pk).update(subscribers_owing_until=timezone.now() - timedelta(seconds=1))
    rest = list(newsletter.post_mails_owe(post_id=post.pk))
    assert [len(b) for b in rest] == [3, 3, 1]  # All still due: 6 again, 1 new.
    assert PostMail.objects.count() == 7
    assert list(newsletter.post_mails_owe(post_id=post.pk)) == []  # Done is done.


def test_new_post_mail_carries_one_click_unsubscribe_headers(author, post, make_subscriber, settings):
    settings.NEWSLETTER_FROM_EMAIL = "Letters <letters@blog.example.org>"
    subscriber = make_subscriber()
    Post.objects.filter(pk=post.pk).update(subscribers_owed_at=None)
    deliveries_reconcile_task.call_local()
    [sent] = mail.outbox
    parsed = message_from_bytes(sent.message().as_bytes(), policy=policy.default)  # As a receiver reads it.
    assert parsed["From"] == "Letters <letters@blog.example.org>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", parsed["List-Unsubscribe"].strip()).group(1)
    assert url in sent.body  # The same link, visible in the mail.
    assert re.search(r"<author-\d+\.posts\.[^>]+>$", parsed["List-Id"])
    assert parsed["Message-ID"] == PostMail.objects.get().message_id
    path = url.removeprefix(settings.SITE_URL)

    page = Client().get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    assert Subscriber.objects.get().state == "confirmed"  # GET changes nothing.
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and not response.cookies
    assert Subscriber.objects.get(pk=subscriber.pk).state == "unsubscribed"


def test_unsubscribed_readers_get_no_mail_already_owed(author, post, make_subscriber):
    subscriber = make_subscriber()
    Post.objects.filter(pk=post.pk).update(subscribers_owed_at=None)
    list(newsletter.post_mails_owe(post_id=post.pk))
    services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
    [mail_id] = PostMail.objects.values_list("pk", flat=True)
    assert delivery_send(kind=POST_MAIL, pk=mail_id).outcome.value == "skipped"
    assert mail.outbox == []


def test_subscribing_again_after_leaving_needs_a_new_confirmation(
    client, author, post, make_subscriber, django_capture_on_commit_callbacks
):
    subscriber = make_subscriber()
    services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client, author)
    assert Subscriber.objects.get().state == "unconfirmed"
    assert len(mail.outbox) == 1


def test_the_dashboard_counts_confirmed_subscribers(author_client, post, make_subscriber):
    make_subscriber("a@example.org")
    make_subscriber("b@example.org")
    make_subscriber("c@example.org", confirmed_at=None)
    make_subscriber("d@example.org", unsubscribed_at=timezone.now())
    assert "2 subscribers by&nbsp;mail" in author_client.get("/dashboard/").content.decode()


def test_the_confirmation_reconciler_owes_what_the_queue_lost(author, post, make_subscriber):
    subscriber = make_subscriber(confirmed_at=None)
    confirmation = SubscriptionConfirmation.objects.create(subscriber=subscriber)
    assert reconciled(SUBSCRIPTION_CONFIRMATION, set()) == [confirmation.pk]
    assert reconciled(SUBSCRIPTION_CONFIRMATION, {confirmation.pk}) == []
    deliveries_reconcile_task.call_local()
    assert len(mail.outbox) == 1
    assert reconciled(SUBSCRIPTION_CONFIRMATION, set()) == []


def test_posts_of_authors_nobody_subscribed_to_are_marked_in_one_statement(author, make_post, make_user):
    lonely = make_user(email="lonely@example.org", verified=True)
    for n in range(20):
        make_post(author=lonely, title=f"Imported {n}", days_ago=30)
    Post.objects.update(subscribers_owed_at=None)  # As after an import straight into the database.
    with CaptureQueriesContext(connection) as queries:
        assert list(newsletter.post_mails_owe_all()) == []
    # Whether anyone reads the whole site, the one UPDATE, and the (empty) list of posts left.
    assert len(queries) == 3 and not Post.objects.awaiting_mail().exists()


def test_a_reader_subscribes_from_a_kept_author_page_with_no_cookie_and_no_token(author, post):
    reader = Client(enforce_csrf_checks=True)
    reader.get(f"/authors/{author.pk}/")
    page = reader.get(f"/authors/{author.pk}/")  # From the page cache: the same for everyone, no cookie.
    assert not page.cookies and "csrfmiddlewaretoken" not in page.content.decode()
    response = reader.post(f"/authors/{author.pk}/subscribe/", {"email": "reader@example.org"})
    assert response.status_code == 200 and Subscriber.objects.get().email == "reader@example.org"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},  # A sibling subdomain is another site too.
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "http://["},  # Not an address: refused, not a 500.
        {"HTTP_REFERER": "http://[x]/"},
    ],
)
def test_a_subscription_posted_from_another_site_is_refused(author, post, headers):
    response = Client().post(f"/authors/{author.pk}/subscribe/", {"email": "victim@example.org"}, **headers)
    assert response.status_code == 403 and not Subscriber.objects.exists()


def test_a_subscription_posted_from_the_sites_own_page_is_taken(author, post, settings):
    response = Client().post(
        f"/authors/{author.pk}/subscribe/",
        {"email": "reader@example.org"},
        HTTP_ORIGIN=settings.SITE_URL,
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 200 and Subscriber.objects.count() == 1
