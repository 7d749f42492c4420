"""Password reset and change pages; reset mail goes through the queue."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from users import throttles

pytestmark = pytest.mark.django_db


def _request_reset(client, email):
    return client.post(reverse("users:password-reset"), {"email": email})


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        known = _request_reset(client, user.email.upper())
        assert mail.outbox == []  # Nothing is sent inside the request.
    unknown = _request_reset(client, "nobody@x.org")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("users:password-reset-done")
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_reset_link_sets_a_new_password(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request_reset(client, user.email)
    path = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    new = "a-brand-new-passphrase-7"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.url == reverse("users:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(new)
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


def test_reset_requests_are_limited(client, user):
    for _ in range(throttles.RESET_PER_EMAIL.limit):
        assert _request_reset(client, user.email).status_code == 302
    response = _request_reset(client, user.email)
    assert response.status_code == 429 and "Too many reset requests" in response.content.decode()


def test_password_change(client, user, password):
    client.force_login(user)
    new = "another-long-passphrase-9"
    response = client.post(
        reverse("users:password-change"), {"old_password": password, "new_password1": new, "new_password2": new}
    )
    assert response.url == reverse("users:password-change-done")
    user.refresh_from_db()
    assert user.check_password(new)
