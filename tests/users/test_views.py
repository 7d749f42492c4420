import re

import pytest
from django.core import mail
from django.urls import reverse

from users.models import User

pytestmark = pytest.mark.django_db


def _signup(client, email="new@x.org", password="pw-long-enough-1", password2=None, display_name=""):
    return client.post(
        reverse("users:signup"),
        {"email": email, "password1": password, "password2": password2 or password, "display_name": display_name},
    )


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
    client.force_login(User.objects.get(email="new@x.org"))
    response = client.get(path)
    assert response.status_code == 200
    assert User.objects.get(email="new@x.org").is_verified
    page = response.content.decode()
    assert "Please verify your email address" not in page and page.count("verified") == 2  # Title, heading.
    again = client.get(path)
    assert again.status_code == 400 and "Already verified" in again.content.decode()
    assert "<title>Already verified" in again.content.decode() and "Write a post" in again.content.decode()


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


def test_signup_cleans_the_display_name_like_the_profile(client, django_capture_on_commit_callbacks):
    name = ' <b>"Ann"\n\r  &   Bob</b>\u200b\u202e\u00ad '
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, email="ann@x.org", display_name=name)
    user = User.objects.get(email="ann@x.org")
    assert user.display_name == '<b>"Ann" & Bob</b>'
    [message] = mail.outbox
    # Plain text is not HTML: no entities in the text part or the subject.
    assert 'Hello <b>"Ann" & Bob</b>,' in message.body
    assert "&quot;" not in message.body and "&lt;" not in message.body and "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "&lt;b&gt;&quot;Ann&quot; &amp; Bob&lt;/b&gt;" in html and "<b>" not in html


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e", "\u00ad", " \n\t "])
def test_invisible_display_names_are_empty(client, name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, email="ann@x.org", display_name=name)
    assert User.objects.get(email="ann@x.org").display_name == ""


def test_profile_saves_a_bio(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/profile/", {"display_name": "Ann", "bio": "  I write.  ", "report_frequency": "daily"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Ann", "I write.")
    response = client.post("/accounts/profile/", {"display_name": "Ann", "bio": "x" * 501})
    assert response.status_code == 200 and "at most 500 characters" in response.content.decode()


def test_signup_with_no_address_at_all_says_so_plainly(client):
    page = _signup(client, email="not-an-email").content.decode()
    assert "Enter a valid email address." in page and "public name" not in page
    assert not User.objects.exists()
