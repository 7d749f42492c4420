import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from users import throttles
from users.models import User

pytestmark = pytest.mark.django_db


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
    unverified = make_user(email="pending@x.org", date_joined=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("Known@x.org", "pending@x.org", "fresh@x.org"):
            assert _signup(client, email)["Location"] == reverse("users:signup-done")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "already has an account" in by_address[verified.email].body
    pending = by_address[unverified.email].body
    assert "/accounts/password/reset/" in pending and "/accounts/verify/" not in pending
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


def _login(client, email, password, address="198.51.100.1", path="/accounts/login/"):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_login_cools_off_after_failures_and_says_the_same_for_unknown_accounts(client, user, password):
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        assert "That email and password do not match an account" in _login(client, user.email, "wrong").content.decode()
    refused = _login(client, user.email, password)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many failed attempts. Please try again in" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    unknown = _login(client, "nobody@x.org", "wrong")
    assert "That email and password do not match an account" in unknown.content.decode()


def test_login_works_again_after_the_told_wait(client, user, password):
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit + 1):
        response = _login(client, user.email, "wrong")
    wait = int(response["Retry-After"])
    later = timezone.now() + timedelta(seconds=wait + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _login(client, user.email, password).status_code == 302


def test_strangers_cannot_lock_the_owner_out(client, user, password):
    # Guessing from many addresses puts the account over its failure limit...
    for n in range(throttles.LOGIN_FAILURES_PER_ACCOUNT.limit + 5):
        _login(client, user.email, "wrong", address=f"203.0.113.{n}")
    for n in range(3):
        assert _login(client, user.email, "wrong", address=f"203.0.113.{n}").status_code == 429
    # ...but a client that has not failed on it still gets its one try: the owner logs in.
    assert _login(client, user.email, password, address="192.0.2.77").status_code == 302


def test_under_attack_a_new_client_gets_one_guess_then_waits(client, user):
    for n in range(throttles.LOGIN_FAILURES_PER_ACCOUNT.limit):
        _login(client, user.email, "wrong", address=f"203.0.113.{n}")
    assert _login(client, user.email, "wrong", address="192.0.2.1").status_code == 200  # Judged...
    assert _login(client, user.email, "wrong", address="192.0.2.1").status_code == 429  # ...once.


def test_attempts_are_counted_before_the_password_is_checked(user):
    judged = []
    for _ in range(40):
        try:
            throttles.login_attempt(client="198.51.100.9", email=user.email, check=lambda: judged.append(1) or False)
        except throttles.Throttled:
            pass
    assert len(judged) == throttles.LOGIN_PER_ACCOUNT_CLIENT.limit


def test_the_admin_login_shares_the_throttle(client, make_user, password):
    staff = make_user(email="boss@x.org", verified=True, is_staff=True, is_superuser=True)
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        _login(client, staff.email, "wrong")  # At the site's login...
    refused = _login(client, staff.email, password, path="/admin/login/")  # ...then the admin's.
    assert "Too many failed attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_failures_count_at_the_site_login_too(client, make_user, password):
    staff = make_user(email="boss@x.org", verified=True, is_staff=True, is_superuser=True)
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        _login(client, staff.email, "wrong", path="/admin/login/")
    assert _login(client, staff.email, password).status_code == 429


def test_the_old_password_of_a_password_change_is_throttled(client, user, password):
    client.force_login(user)
    url = reverse("users:password-change")
    fields = {"new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"}
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        response = client.post(url, {"old_password": "wrong", **fields}, REMOTE_ADDR="198.51.100.1")
        assert response.status_code == 200
    refused = client.post(url, {"old_password": password, **fields}, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429 and "Too many failed attempts" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_a_password_reset_always_unlocks(client, user, django_capture_on_commit_callbacks):
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit + 1):
        _login(client, user.email, "wrong")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("users:password-reset"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body)[1]
    form_page = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-brand-new-passphrase-9"
    assert client.post(form_page, {"new_password1": new, "new_password2": new}).status_code == 302
    assert _login(client, user.email, new).status_code == 302
    user.refresh_from_db()
    assert user.is_verified  # The link came through the mailbox.


def test_a_reset_of_one_account_unlocks_no_other(client, make_user, password, django_capture_on_commit_callbacks):
    # example.co is a prefix of example.com: its owner must not lift locks on the other.
    attacker = make_user(email="bob@example.co", verified=True)
    victim = make_user(email="bob@example.com", verified=True)
    for n in range(throttles.LOGIN_FAILURES_PER_ACCOUNT.limit):
        _login(client, victim.email, "wrong", address=f"203.0.113.{n}")
    assert _login(client, victim.email, "wrong", address="203.0.113.2").status_code == 429
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("users:password-reset"), {"email": attacker.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body)[1]
    form_page = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_page, {"new_password1": "x-new-passphrase-77", "new_password2": "x-new-passphrase-77"})
    client.logout()
    assert _login(client, victim.email, "wrong", address="203.0.113.2").status_code == 429


def test_every_client_of_a_long_address_is_counted_apart(client, make_user, password):
    owner = make_user(email=("a" * 180) + "@example.com", verified=True)
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        _login(client, owner.email, "wrong", address="203.0.113.20")
    assert _login(client, owner.email, password, address="192.0.2.60").status_code == 302


def test_the_admins_own_password_change_is_throttled_too(client, make_user, password):
    staff = make_user(email="boss@x.org", verified=True, is_staff=True, is_superuser=True)
    client.force_login(staff)
    fields = {"new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"}
    for _ in range(throttles.LOGIN_PER_ACCOUNT_CLIENT.limit):
        wrong = client.post("/admin/password_change/", {"old_password": "wrong", **fields}, REMOTE_ADDR="198.51.100.1")
        assert wrong.status_code == 200
    refused = client.post("/admin/password_change/", {"old_password": password, **fields}, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429 and "Too many failed attempts" in refused.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(password)
    # Below the limit, the admin's page still changes the password.
    other = make_user(email="other-boss@x.org", verified=True, is_staff=True)
    client.force_login(other)
    done = client.post("/admin/password_change/", {"old_password": password, **fields}, REMOTE_ADDR="198.51.100.2")
    assert done.status_code == 302 and done["Location"] == "/admin/password_change/done/"
