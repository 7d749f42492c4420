import pytest
from django.test import RequestFactory
from django.urls import reverse

from blog.models import Post
from site.http import client_ip
from users import throttles

pytestmark = pytest.mark.django_db


LIMIT = throttles.Limit("test", 2, 60)


def _signup(client, email):
    return client.post(
        reverse("users:signup"), {"email": email, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    )


def test_forwarded_for_is_trusted_only_behind_the_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.9"


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


def test_error_pages_are_friendly(client, author):
    from django.test import Client

    assert "There is nothing at this address" in client.get("/no/such/page/").content.decode()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("users:login"), {"username": "a@x.org", "password": "x"})
    assert response.status_code == 403 and "This form has expired" in response.content.decode()
