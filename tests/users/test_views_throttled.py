from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from users import throttles
from users.models import User

pytestmark = pytest.mark.django_db


LIMIT = throttles.Limit("test", 2, 60)


def _signup(client, email):
    return client.post(
        reverse("users:signup"), {"email": email, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    )


def test_signups_are_limited_per_client_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(throttles.SIGNUP_PER_IP.limit):
            assert _signup(client, f"u{n}@x.org").status_code == 302
        response = _signup(client, "one-too-many@x.org")
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert not User.objects.filter(email="one-too-many@x.org").exists()


def test_taken_address_gets_a_mail_not_an_error(client, make_user, django_capture_on_commit_callbacks):
    verified = make_user(email="known@x.org", verified=True)
    unverified = make_user(email="pending@x.org")
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("Known@x.org", "pending@x.org", "fresh@x.org"):
            assert _signup(client, email)["Location"] == reverse("users:signup-done")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "already has an account" in by_address[verified.email].body
    assert "/accounts/verify/" in by_address[unverified.email].body
    assert "/accounts/verify/" in by_address["fresh@x.org"].body


def test_resend_is_limited_per_account(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(throttles.RESEND_PER_ACCOUNT.limit + 2):
            response = client.post(reverse("users:verification-resend"), {"next": "/dashboard/"}, follow=True)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "You asked for several links already" in page and 'href="/dashboard/"' in page
    # One mail owed at a time: resends re-queue the same unsent mail.
    assert user.verifications.count() == 1


def test_login_cools_off_after_failures_and_says_the_same_for_unknown_accounts(client, user, password):
    url = reverse("users:login")
    for _ in range(throttles.LOGIN_FAILURES_PER_EMAIL.limit):
        response = client.post(url, {"username": user.email, "password": "wrong"})
        assert "Please enter a correct" in response.content.decode()
    refused = client.post(url, {"username": user.email, "password": password})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many failed attempts. Please try again in" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    unknown = client.post(url, {"username": "nobody@x.org", "password": "wrong"})
    assert "Please enter a correct" in unknown.content.decode()


def test_login_works_again_after_the_cool_off(client, user, password):
    past = timezone.now() - timedelta(seconds=throttles.LOGIN_FAILURES_PER_EMAIL.window + 5)
    for _ in range(throttles.LOGIN_FAILURES_PER_EMAIL.limit + 1):
        try:
            throttles.throttle_hit((throttles.LOGIN_FAILURES_PER_EMAIL, user.email), now=past)
        except throttles.Throttled:
            pass
    response = client.post(reverse("users:login"), {"username": user.email, "password": password})
    assert response.status_code == 302
