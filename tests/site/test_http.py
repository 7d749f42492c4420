import ipaddress
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from blog.models import Post
from site.http import client_ip, client_key
from users import throttles

pytestmark = pytest.mark.django_db


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


@given(st.ip_addresses(v=6), st.integers(min_value=0, max_value=2**64 - 1))
@examples(max_examples=100, deadline=None)
def test_ipv6_clients_are_keyed_by_their_64(address, host_bits):
    if address.ipv4_mapped is not None:
        return  # An IPv4 client: keyed by its address (the next test).
    same_64 = ipaddress.IPv6Address((int(address) >> 64 << 64) | host_bits)
    other_64 = ipaddress.IPv6Address(int(address) ^ (1 << 64))
    key = client_key(RequestFactory().get("/", REMOTE_ADDR=str(address)))
    assert key == client_key(RequestFactory().get("/", REMOTE_ADDR=str(same_64)))
    assert key != client_key(RequestFactory().get("/", REMOTE_ADDR=str(other_64)))


def test_ipv4_clients_and_mapped_ones_are_keyed_by_their_address():
    key = client_key(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"))
    assert key == client_key(RequestFactory().get("/", REMOTE_ADDR="::ffff:203.0.113.9")) == "203.0.113.9"
    assert key != client_key(RequestFactory().get("/", REMOTE_ADDR="203.0.113.10"))


def test_one_home_connection_cannot_sign_up_past_the_limit_by_changing_its_ipv6_address(client):
    for n in range(throttles.SIGNUP_PER_IP.limit):
        response = client.post(
            reverse("users:signup"),
            {"email": f"u{n}@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
            REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}",
        )
        assert response.status_code == 302
    response = client.post(
        reverse("users:signup"),
        {"email": "more@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
        REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fffe",
    )
    assert response.status_code == 429


def test_file_parts_are_never_written_anywhere(client, settings):
    # Django's default would put any file part of this size on disk.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    upload = SimpleUploadedFile("big.bin", b"x" * 50_000)
    written = AssertionError("a file part was written to disk")
    with mock.patch("django.core.files.temp.NamedTemporaryFile", side_effect=written):
        response = client.post(reverse("users:login"), {"username": "a@x.org", "password": "pw", "file": upload})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/write/", "/nowhere/"])
def test_request_bodies_over_the_cap_are_refused_unread(client, settings, path):
    body = b"a=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.generic("POST", path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_a_post_at_its_longest_fits_under_the_cap(author_client, settings):
    from blog.models import CONTENT_MAX_LENGTH

    content = "\U0001f600" * CONTENT_MAX_LENGTH  # The longest encoding: 12 bytes a character.
    response = author_client.post(reverse("blog:post-create"), {"title": "Smiles", "content": content, "draft": "1"})
    assert response.status_code == 302


def test_pages_for_a_logged_in_person_are_never_stored_by_caches(author_client, make_post):
    draft = make_post(title="Draft", published_at=None)
    for path in ("/dashboard/", "/accounts/profile/", "/write/", draft.get_absolute_url(), "/"):
        cache_control = author_client.get(path).get("Cache-Control", "")
        assert "private" in cache_control and "no-store" in cache_control, path


def test_public_pages_stay_cacheable_for_visitors(client, post):
    for path in ("/", post.get_absolute_url()):
        assert "private" not in client.get(path).get("Cache-Control", ""), path
