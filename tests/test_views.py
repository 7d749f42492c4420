import re

import pytest
from django.core import mail
from django.urls import reverse

from blog.models import DailyViews, Post
from users.models import User

pytestmark = pytest.mark.django_db


def _signup(client, email="new@x.org", password="pw-long-enough-1", password2=None):
    return client.post(
        reverse("users:signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def test_home_lists_published_posts_newest_first(client, author):
    from datetime import timedelta

    from django.utils import timezone

    old = Post.objects.create(author=author, title="Old", content="x", published_at=timezone.now() - timedelta(days=1))
    new = Post.objects.create(author=author, title="New", content="x")
    Post.objects.create(author=author, title="Draft", content="x", published_at=None)
    response = client.get("/")
    assert response.status_code == 200
    assert list(response.context["post_list"]) == [new, old]
    assert new.get_absolute_url() in response.content.decode()
    assert "Draft" not in response.content.decode()


def test_home_is_paginated(client, author):
    for n in range(12):
        Post.objects.create(author=author, title=f"Post {n}", content="x")
    assert len(client.get("/").context["post_list"]) == 10
    assert len(client.get("/?page=2").context["post_list"]) == 2
    assert client.get("/?page=99").status_code == 404
    assert client.get("/?page=abc").status_code == 404


def test_post_page_counts_each_view_once(client, post):
    for expected in (1, 2):
        response = client.get(post.get_absolute_url())
        assert f"Viewed {expected} time" in response.content.decode()
    post.refresh_from_db()
    assert post.view_count == 2
    assert DailyViews.objects.get(post=post).views == 2


def test_post_content_is_escaped(client, author):
    post = Post.objects.create(author=author, title="<script>alert(1)</script>", content="<img src=x onerror=alert(1)>")
    body = client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_drafts_are_hidden_and_not_counted(client, author, make_user):
    draft = Post.objects.create(author=author, title="Draft", content="x", published_at=None)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(make_user(email="other@x.org"))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(author)
    assert client.get(draft.get_absolute_url()).status_code == 200
    draft.refresh_from_db()
    assert draft.view_count == 0


def test_signup_creates_account_and_sends_mail_after_commit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, email="New@X.org")
    assert response.status_code == 302
    assert response.url == reverse("users:signup-done")
    assert User.objects.get(email="new@x.org").is_verified is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@x.org"]


def test_signup_with_taken_address_answers_the_same(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, email=user.email.upper())
    assert response.status_code == 302 and response.url == reverse("users:signup-done")
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "not-an-address", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
        {"email": "a@x.org", "password1": "pw-long-enough-1", "password2": "different-pw-1"},
        {"email": "a@x.org", "password1": "123", "password2": "123"},
        {"email": "a" * 300 + "@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
    ],
)
def test_bad_signups_show_errors_and_change_nothing(client, data):
    response = client.post(reverse("users:signup"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.count() == 0
    assert mail.outbox == []


def test_verification_link_from_mail_verifies(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client)
    path = re.search(r"https?://[^/]+(/accounts/verify/\S+/)", mail.outbox[0].body)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert User.objects.get(email="new@x.org").is_verified
    again = client.get(path)
    assert again.status_code == 400 and "Already verified" in again.content.decode()


@pytest.mark.parametrize("token", ["garbage", "a:b:c", "%00", "x" * 2000, "..", "ünïcode"])
def test_bad_verification_links_get_a_friendly_page(client, token):
    response = client.get(f"/accounts/verify/{token}/")
    assert response.status_code in (400, 404)


def test_login_is_case_insensitive(client, user, password):
    response = client.post(reverse("users:login"), {"username": user.email.upper(), "password": password})
    assert response.status_code == 302
    assert client.get(reverse("blog:dashboard")).status_code == 200


def test_logout_needs_post(client, user):
    client.force_login(user)
    assert client.get(reverse("users:logout")).status_code == 405
    assert client.post(reverse("users:logout")).status_code == 302
    assert client.get(reverse("blog:dashboard")).status_code == 302


def test_resend_requires_login_and_post(client, user, django_capture_on_commit_callbacks):
    assert client.post(reverse("users:verification-resend")).status_code == 302
    assert mail.outbox == []
    client.force_login(user)
    assert client.get(reverse("users:verification-resend")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("users:verification-resend"), {"next": "https://evil.example/"})
    assert response.url == "/"
    assert len(mail.outbox) == 1


def test_unverified_user_is_told_to_verify_before_publishing(client, user):
    client.force_login(user)
    response = client.post(reverse("blog:post-create"), {"title": "Mine", "content": "Body", "publish": "1"}, follow=True)
    assert "Verify your email address before publishing" in response.content.decode()
    post = Post.objects.get()
    assert not post.is_published
    response = client.post(reverse("blog:post-publish", args=[post.slug]), follow=True)
    assert "Verify your email address" in response.content.decode()
    assert not Post.objects.published().exists()


def test_verified_author_writes_and_publishes(author_client, author):
    response = author_client.post(reverse("blog:post-create"), {"title": "Mine", "content": "Body", "draft": "1"})
    post = Post.objects.get()
    assert response.url == post.get_absolute_url() and not post.is_published
    author_client.post(reverse("blog:post-publish", args=[post.slug]))
    post.refresh_from_db()
    assert post.is_published
    author_client.post(reverse("blog:post-unpublish", args=[post.slug]))
    post.refresh_from_db()
    assert not post.is_published


def test_authors_cannot_touch_others_posts(client, post, make_user):
    client.force_login(make_user(email="intruder@x.org", verified=True))
    assert client.get(reverse("blog:post-edit", args=[post.slug])).status_code == 404
    assert client.post(reverse("blog:post-unpublish", args=[post.slug])).status_code == 404
    post.refresh_from_db()
    assert post.is_published


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_bad_post_titles_get_a_message(author_client, title):
    response = author_client.post(reverse("blog:post-create"), {"title": title, "content": "Body", "publish": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["title"]
    assert not Post.objects.exists()


def test_author_page_and_big_ids(client, post, author):
    assert post.title in client.get(author.get_absolute_url()).content.decode()
    assert client.get("/authors/99999999999999999999999/").status_code == 404


def test_dashboard_lists_own_posts(author_client, post):
    response = author_client.get(reverse("blog:dashboard"))
    assert post.title in response.content.decode()
    assert "no daily report sent yet" in response.content.decode()


def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_state_changes_need_a_csrf_token(author):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(author)
    assert strict.post(reverse("blog:post-create"), {"title": "t", "content": "c", "publish": "1"}).status_code == 403
    assert not Post.objects.exists()


def test_oversized_content_gets_a_clear_message(author_client):
    from blog.models import CONTENT_MAX_LENGTH

    response = author_client.post(
        reverse("blog:post-create"), {"title": "Long", "content": "x" * (CONTENT_MAX_LENGTH + 1), "publish": "1"}
    )
    assert response.status_code == 200
    assert "Posts are limited to 100,000 characters." in response.content.decode()
    assert not Post.objects.exists()


def test_error_pages_are_friendly(client, author):
    from django.test import Client

    assert "There is nothing at this address" in client.get("/no/such/page/").content.decode()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("users:login"), {"username": "a@x.org", "password": "x"})
    assert response.status_code == 403 and "This form has expired" in response.content.decode()
