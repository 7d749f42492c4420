from unittest import mock

import pytest
from django.core import mail

from users import services
from users.models import EmailVerification

pytestmark = pytest.mark.django_db


def _link(message):
    return next(line for line in message.body.splitlines() if "/accounts/verify/" in line).strip()


def test_user_create_enqueues_mail_only_after_commit(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://blog.example.com"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = services.user_create(email="Ann@X.org", password="pw-long-enough-1")
        assert len(mail.outbox) == 0
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@x.org"]
    assert _link(message).startswith("https://blog.example.com/accounts/verify/")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and _link(message) in html
    assert EmailVerification.objects.get(user=user).sent_at is not None


def test_same_address_twice_raises_email_taken(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.user_create(email="ann@x.org", password="pw-long-enough-1")
    with pytest.raises(services.EmailTaken):
        services.user_create(email="ANN@x.org", password="pw-long-enough-1")
    assert len(mail.outbox) == 1


def test_verification_link_verifies_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    assert services.user_verify(token=token, by=user) == user
    user.refresh_from_db()
    assert user.is_verified and user.verified_at
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token, by=user)
    assert failure.value.reason == "used"


def test_a_link_verifies_nothing_for_another_account(make_user):
    from site.tokens import verification_token_make

    owner, other = make_user(email="owner@x.org"), make_user(email="other@x.org")
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=verification_token_make(user_id=owner.pk, email=owner.email), by=other)
    assert failure.value.reason == "other-account"
    owner.refresh_from_db()
    assert not owner.is_verified


@pytest.mark.parametrize("token", ["", "abc", "a:b:c", "x" * 500, "\x00\x01", "eyJ1IjoxfQ:1abc:sig"])
def test_bad_tokens_are_invalid(user, token):
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token, by=user)
    assert failure.value.reason == "invalid"


def test_token_dies_when_email_changes(user):
    from site.tokens import verification_token_make

    token = verification_token_make(user_id=user.pk, email=user.email)
    user.email = "new@x.org"
    user.save()
    with pytest.raises(services.VerificationFailed):
        services.user_verify(token=token, by=user)


def test_token_expires(user, settings):
    from site.tokens import verification_token_make

    token = verification_token_make(user_id=user.pk, email=user.email)
    settings.VERIFICATION_MAX_AGE = -1
    with pytest.raises(services.VerificationFailed) as failure:
        services.user_verify(token=token, by=user)
    assert failure.value.reason == "expired"


def test_resend_reuses_an_owed_mail(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.verification_request(user=user)
        second = services.verification_request(user=user)
    assert first == second
    user.is_verified = True
    assert services.verification_request(user=user) is None


@pytest.mark.django_db(transaction=True)
def test_signup_hashes_the_password_outside_the_write_transaction():
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    seen = []

    def hashing(password, *args, **kwargs):
        seen.append(connection.in_atomic_block)
        return make_password(password, *args, **kwargs)

    with mock.patch("django.contrib.auth.base_user.make_password", side_effect=hashing):
        user = services.user_create(email="hash@x.org", password="pw-long-enough-1")
    assert seen == [False]
    assert user.check_password("pw-long-enough-1")
